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
