"""/openapi.json: an OpenAPI 3 document of every JSON endpoint the instance offers (the portal's
"explore API" button reads it), made from what builds the answers so that it cannot drift: the
served tables' columns with their declared types and nullability, the canned queries'
parameters, each indicator's parameters with their bounds, and the checks the /inkop routes make
(organisation numbers, years, page sizes). Every answer shape a parameter selects is declared, and
the error body of every 400, 404 and 405. Unknown query parameters are ignored, as in Datasette.
"""

from __future__ import annotations

from typing import NamedTuple

from openup.indicators import INDICATORS

from ..patterns.filters import MAX_OFFSET, MAX_SIZE, ORGNR_PATTERN

_NEXT = {"type": "string", "nullable": True}
_ERROR = {"type": "object", "required": ["ok", "error", "status"], "properties": {
    "ok": {"type": "boolean", "enum": [False]}, "error": {"type": "string"}, "status": {"type": "integer"}}}
_ERRORS = {
    "400": {"description": "Felaktig parameter: svaret säger vilken och varför",
            "content": {"application/json": {"schema": _ERROR}}},
    "404": {"description": "Finns inte", "content": {"application/json": {"schema": _ERROR}}},
    "405": {"description": "Metoden stöds inte (endast GET, HEAD och OPTIONS)",
            "content": {"application/json": {"schema": _ERROR}}},
}


class Column(NamedTuple):
    name: str
    type: str  # as declared in SQLite
    nullable: bool
    primary_key: bool


def _json_type(declared: str) -> str:
    """The JSON type of a column's values, by SQLite's rules of type affinity."""
    declared = declared.upper()
    if "INT" in declared:
        return "integer"
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT")) or not declared:
        return "string"
    return "number"  # REAL, FLOAT, DOUBLE, NUMERIC


def _query(name: str, description: str, schema: dict | None = None, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


def _ok(description: str, schema: dict) -> dict:
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}, **_ERRORS}


def _datasette_answer(row: dict) -> dict:
    """Datasette's JSON in each _shape: the default (rows as arrays, or objects with
    _shape=objects) with paging, array (a list of rows), object (rows by primary key) and
    arrayfirst (the first column's values)."""
    return {"anyOf": [
        {"type": "object", "required": ["rows"], "properties": {
            "rows": {"type": "array", "items": {"anyOf": [{"type": "array"}, row]}},
            "columns": {"type": "array", "items": {"type": "string"}},
            "truncated": {"type": "boolean"}, "next": _NEXT, "next_url": _NEXT,
            "filtered_table_rows_count": {"type": "integer", "nullable": True}}},
        {"type": "array", "items": {"anyOf": [row, {"type": "string"}, {"type": "number"}]}},
        {"type": "object", "additionalProperties": row},
    ]}


def _table_path(database: str, table: str, columns: list[Column]) -> dict:
    row = {"type": "object", "properties": {
        c.name: {"type": _json_type(c.type), "nullable": c.nullable} for c in columns}}
    filters = [_query(c.name, f"Filtrera: {c.name} = värde (också {c.name}__gte, __lte, __contains …)",
                      {"type": _json_type(c.type)}) for c in columns]
    paging = [
        _query("_size", "Rader per sida, eller max", {"anyOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_SIZE}, {"type": "string", "enum": ["max"]}]}),
        _query("_next", "Nästa sida: värdet av next i föregående svar"),
        _query("_shape", "Svarets form (object: raderna efter primärnyckel, för tabeller som har en)",
               {"type": "string", "enum": ["arrays", "objects", "array",
                                           *(["object"] if any(c.primary_key for c in columns) else [])]}),
    ]
    return {"get": {"summary": f"Rader i {table}", "operationId": f"{database}_{table}", "tags": [database],
                    "parameters": paging + filters, "responses": _ok(f"Rader i {table}, en sida i taget",
                                                                     _datasette_answer(row))}}


def _query_path(database: str, query: str, title: str, parameters: list[str]) -> dict:
    return {"get": {"summary": title, "operationId": f"{database}_{query}", "tags": [database],
                    "parameters": [_query(p, p, required=True) for p in parameters] + [
                        _query("_shape", "Svarets form",
                               {"type": "string", "enum": ["arrays", "objects", "array", "arrayfirst"]})],
                    "responses": _ok(title, _datasette_answer({"type": "object"}))}}


def _indicator_parameter(parameter) -> dict:
    if parameter.choices:
        schema = {"type": "string", "enum": list(parameter.choices)}
    else:
        schema = {"type": "number", **({"minimum": parameter.minimum} if parameter.minimum is not None else {}),
                  **({"maximum": parameter.maximum} if parameter.maximum is not None else {})}
    return _query(parameter.name, f"{parameter.description} (standard {parameter.default})", schema)


def _pattern_paths() -> dict:
    """The procurement-pattern views' JSON twins (plugins/patterns), with their checks."""
    orgnr = {"type": "string", "pattern": ORGNR_PATTERN}
    buyer = _query("kopare", "Köparens organisationsnummer NNNNNN-NNNN (404 om köparen inte finns)", orgnr)
    year = _query("ar", "Kalenderår", {"type": "integer", "minimum": 1990, "maximum": 2100})
    size = _query("_size", "Rader per sida", {"type": "integer", "minimum": 1, "maximum": MAX_SIZE})
    page = _query("_next", "Nästa sida: värdet i svarets next",
                  {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET})
    figures = {"type": "object", "properties": {"next": _NEXT, "next_url": _NEXT}}
    rows = {"type": "object", "required": ["rows"], "properties": {
        "rows": {"type": "array", "items": {"type": "object"}}, "next": _NEXT, "next_url": _NEXT}}
    paths = {
        "/inkop.json": ("Översikt: totaler, köpare, utgifter per månad, största leverantörer", [year], figures),
        "/inkop/flaggor.json": ("Alla indikatorer och deras träffar", [buyer, year, size, page], rows),
        "/inkop/kvalitet.json": ("Datakvalitet per utgivare", [buyer, year, size, page], rows),
        "/inkop/jamfor.json": ("Köpare sida vid sida, ett år per rad", [
            {**_query("kopare", "Två till tio köpare", required=True), "style": "form", "explode": True,
             "schema": {"type": "array", "items": orgnr, "minItems": 2, "maxItems": 10}},
            _query("konto", "Kontonummer"), _query("leverantor", "Leverantörens organisationsnummer", orgnr)],
            rows),
    }
    for slug, indicator in INDICATORS.items():
        paths[f"/inkop/flaggor/{slug}.json"] = (indicator.title, [
            buyer, year, size, page, *map(_indicator_parameter, indicator.parameters)], rows)
    documented = {path: {"get": {
        "summary": summary, "tags": ["inkop"], "parameters": parameters, "responses": _ok(summary, schema),
        "operationId": "inkop_" + path.strip("/").removesuffix(".json").replace("/", "_").replace("-", "_")}}
        for path, (summary, parameters, schema) in paths.items()}
    for kind, what in (("kopare", "En köpares siffror ett år"), ("leverantor", "En leverantörs siffror")):
        documented[f"/inkop/{kind}/{{orgnr}}.json"] = {"get": {
            "summary": what, "tags": ["inkop"], "operationId": f"inkop_{kind}",
            "parameters": [{"name": "orgnr", "in": "path", "required": True, "schema": orgnr,
                            "description": "Organisationsnummer NNNNNN-NNNN (404 om det inte finns i databasen)"},
                           *([year] if kind == "kopare" else [])],
            "responses": _ok(what, figures)}}
    return documented


def _validator_path() -> dict:
    """/validera.json: a file posted, `openup validate`'s report answered (plugins/validator.py)."""
    binary = {"type": "string", "format": "binary"}
    report = {"type": "object", "required": ["ok", "fil", "godtagbar"], "properties": {
        "ok": {"type": "boolean", "enum": [True]}, "fil": {"type": "string"}, "godtagbar": {"type": "boolean"},
        "vagran": {"type": "string", "nullable": True},
        **{name: {"type": "integer"} for name in (
            "rader_lasta", "rader_som_skulle_lasas_in", "rader_som_skulle_avvisas", "tomma_rader",
            "rader_som_skulle_maskeras")},
        **{name: {"type": "array"} for name in (
            "specifikationens_kolumner", "avvisningsorsaker", "exempel", "manader", "saknade_manader",
            "rekommendationer", "varningar")}}}
    errors = {status: {"description": description, "content": {"application/json": {"schema": _ERROR}}}
              for status, description in (
                  ("400", "Ingen fil, trasig multipart, eller granskningen tog för lång tid"),
                  ("405", "Metoden stöds inte (endast POST)"), ("413", "Filen är större än gränsen"),
                  ("429", "För många filer granskas just nu; försök igen efter Retry-After sekunder"))}
    return {"post": {
        "summary": "Granska en leverantörsreskontra (CSV, XLSX eller JSON) utan att något sparas",
        "operationId": "validera", "tags": ["validera"],
        "parameters": [_query("filnamn", "Filens namn, när filen är förfrågans innehåll")],
        "requestBody": {"required": True, "content": {
            "multipart/form-data": {"schema": {"type": "object", "required": ["fil"],
                                               "properties": {"fil": binary}}},
            "application/octet-stream": {"schema": binary}}},
        "responses": {"200": {"description": "Granskningens rapport (som `openup validate --json`)",
                              "content": {"application/json": {"schema": report}}}, **errors}}}


def openapi_document(base_url: str, databases: dict[str, dict]) -> dict:
    """databases: name -> {"tables": {table: [Column]}, "queries": {name: (title, params)}}."""
    paths: dict[str, dict] = {}
    for database, content in databases.items():
        for table, columns in content["tables"].items():
            paths[f"/{database}/{table}.json"] = _table_path(database, table, columns)
        for query, (title, parameters) in content["queries"].items():
            paths[f"/{database}/{query}.json"] = _query_path(database, query, title, parameters)
    paths.update(_pattern_paths())
    for suffix, media_type, schema in (("", "application/rdf+xml", {"type": "string"}),
                                       (".ttl", "text/turtle", {"type": "string"}),
                                       (".jsonld", "application/ld+json", {})):
        paths[f"/datasets/dcat{suffix}"] = {"get": {
            "summary": "DCAT-AP-SE-katalog", "operationId": f"dcat{suffix.replace('.', '_')}",
            "tags": ["dcat"], "responses": {"200": {"description": "Katalogen",
                                                    "content": {media_type: {"schema": schema}}},
                                            "405": _ERRORS["405"]}}}
    paths["/validera.json"] = _validator_path()
    return {
        "openapi": "3.0.3",
        "info": {"title": "Open Up: offentliga inköp", "version": "1.0",
                 "description": "Leverantörsreskontror från svenska offentliga organisationer som "
                                "JSON. Alla svar är öppna (CORS) och licensierade CC0. Okända "
                                "parametrar ignoreras, som i Datasette. Endast GET, HEAD och OPTIONS "
                                "stöds (405 annars), utom granskningen /validera.json som tar emot "
                                "en fil med POST."},
        "servers": [{"url": base_url}],
        "paths": paths,
    }
