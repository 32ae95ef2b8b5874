"""/openapi.json: an OpenAPI 3 document of every JSON endpoint the instance offers, made from
the served databases' tables and canned queries (the portal's "explore API" button reads it)."""

from __future__ import annotations

_PAGE_PARAMETERS = [
    {"name": "_size", "in": "query", "schema": {"type": "string"},
     "description": "Rader per sida (max för det största tillåtna)."},
    {"name": "_next", "in": "query", "schema": {"type": "string"},
     "description": "Nästa sida: värdet av `next` i föregående svar."},
    {"name": "_shape", "in": "query",
     "schema": {"type": "string", "enum": ["objects", "array", "arrays", "object"]},
     "description": "Svarets form."},
]
_ROWS = {"type": "object", "properties": {
    "rows": {"type": "array", "items": {"type": "object"}},
    "next": {"type": "string", "nullable": True},
    "next_url": {"type": "string", "nullable": True},
}}
_SQL_TYPES = {"INTEGER": "integer", "REAL": "number", "TEXT": "string"}


def _json_response(description: str) -> dict:
    return {"200": {"description": description,
                    "content": {"application/json": {"schema": _ROWS}}},
            "400": {"description": "Felaktig parameter"}}


def _query(name: str, description: str, schema: dict | None = None, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


def _pattern_paths() -> dict:
    """The procurement-pattern views' JSON twins (plugins/patterns)."""
    from openup.indicators import INDICATORS

    from ..patterns.filters import MAX_SIZE

    buyer = _query("kopare", "Köparens organisationsnummer NNNNNN-NNNN",
                   {"type": "string", "pattern": r"^\d{6}-?\d{4}$"})
    year = _query("ar", "Kalenderår", {"type": "integer", "minimum": 1990, "maximum": 2100})
    size = _query("_size", "Rader per sida", {"type": "integer", "minimum": 1, "maximum": MAX_SIZE})
    page = _query("_next", "Nästa sida: värdet i svarets next", {"type": "integer", "minimum": 0})
    errors = {"400": {"description": "Felaktig parameter"}, "404": {"description": "Finns inte"}}
    paths = {
        "/inkop.json": ("Översikt: totaler, köpare, utgifter per månad, största leverantörer", [year]),
        "/inkop/flaggor.json": ("Alla indikatorer och deras träffar", [buyer, year]),
        "/inkop/kvalitet.json": ("Datakvalitet per utgivare", [buyer, year]),
        "/inkop/jamfor.json": ("Köpare sida vid sida", [
            {**_query("kopare", "Två till tio köpare", required=True), "style": "form", "explode": True,
             "schema": {"type": "array", "items": {"type": "string"}}},
            _query("konto", "Kontonummer"), _query("leverantor", "Leverantörens organisationsnummer")]),
    }
    for slug, indicator in INDICATORS.items():
        paths[f"/inkop/flaggor/{slug}.json"] = (indicator.title, [buyer, year, size, page, *(
            _query(p.name, f"{p.description} (standard {p.default})") for p in indicator.parameters)])
    documented = {path: {"get": {"summary": summary, "tags": ["inkop"], "parameters": parameters,
                                 "operationId": "inkop_" + path.strip("/").replace("/", "_").replace(".json", "").replace("-", "_"),
                                 "responses": {**_json_response(summary), **errors}}}
                  for path, (summary, parameters) in paths.items()}
    for kind, what in (("kopare", "En köpares siffror ett år"), ("leverantor", "En leverantörs siffror")):
        documented[f"/inkop/{kind}/{{orgnr}}.json"] = {"get": {
            "summary": what, "tags": ["inkop"], "operationId": f"inkop_{kind}",
            "parameters": [{"name": "orgnr", "in": "path", "required": True, "schema": {"type": "string"}},
                           *([year] if kind == "kopare" else [])],
            "responses": {**_json_response(what), **errors}}}
    return documented


def openapi_document(base_url: str, databases: dict[str, dict]) -> dict:
    """databases: name -> {"tables": {table: [(column, type)]}, "queries": {name: (title, params)}}."""
    paths: dict[str, dict] = {}
    for database, content in databases.items():
        for table, columns in content["tables"].items():
            filters = [{"name": column, "in": "query", "required": False,
                        "schema": {"type": _SQL_TYPES.get(kind, "string")},
                        "description": f"Filtrera: {column} = värde (också {column}__gte, __lte, __contains …)"}
                       for column, kind in columns]
            paths[f"/{database}/{table}.json"] = {"get": {
                "summary": f"Rader i {table}", "operationId": f"{database}_{table}",
                "tags": [database], "parameters": _PAGE_PARAMETERS + filters,
                "responses": _json_response(f"Rader i {table}, en sida i taget")}}
        for query, (title, parameters) in content["queries"].items():
            paths[f"/{database}/{query}.json"] = {"get": {
                "summary": title, "operationId": f"{database}_{query}", "tags": [database],
                "parameters": [{"name": p, "in": "query", "required": True,
                                "schema": {"type": "string"}} for p in parameters]
                + [_PAGE_PARAMETERS[2]],
                "responses": _json_response(title)}}
    paths.update(_pattern_paths())
    for suffix, media_type in (("", "application/rdf+xml"), (".ttl", "text/turtle"),
                               (".jsonld", "application/ld+json")):
        paths[f"/datasets/dcat{suffix}"] = {"get": {
            "summary": "DCAT-AP-SE-katalog", "operationId": f"dcat{suffix.replace('.', '_')}",
            "tags": ["dcat"],
            "responses": {"200": {"description": "Katalogen",
                                  "content": {media_type: {"schema": {"type": "string"}}}}}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Open Up: offentliga inköp", "version": "1.0",
                 "description": "Leverantörsreskontror från svenska offentliga organisationer som "
                                "JSON. Alla svar är öppna (CORS) och licensierade CC0."},
        "servers": [{"url": base_url}],
        "paths": paths,
    }
