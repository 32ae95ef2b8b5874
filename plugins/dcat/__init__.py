"""A DCAT-AP-SE catalog that dataportal.se can harvest, and the OpenAPI document it points to.

/datasets/dcat answers RDF/XML (or Turtle or JSON-LD by Accept), /datasets/dcat.ttl Turtle,
/datasets/dcat.jsonld JSON-LD; /openapi.json describes every JSON endpoint. The graph is built
once per version of the database and kept with its serialisations until a load changes it.
All URLs are absolute: from OPENUP_BASE_URL, else `base_url` in the plugin's metadata, else
the scheme and host the request came to (behind a proxy, configure the public address).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

from datasette import Response, hookimpl
from rdflib import Graph

from ..ledger import ledger_database, version
from .catalog import read_facts
from .openapi import Column, openapi_document
from .profile import CatalogConfig, DcatApSeProfile

PLUGIN = "openup-dcat"
FORMATS = {  # suffix -> (rdflib format, media type)
    "": ("xml", "application/rdf+xml"),
    ".rdf": ("xml", "application/rdf+xml"),
    ".ttl": ("turtle", "text/turtle"),
    ".jsonld": ("json-ld", "application/ld+json"),
}
# rdflib's pretty Turtle takes about 20 s for a catalog of 3,000 datasets; N-Triples, which is
# itself valid Turtle, takes half a second. Large catalogs are sent in that plainer form.
PRETTY_TURTLE_LIMIT = 20_000  # triples
_ACCEPTED = {"text/turtle": ".ttl", "application/ld+json": ".jsonld", "application/rdf+xml": ""}
_CORS = {"Access-Control-Allow-Origin": "*"}


@dataclass
class _Cached:
    key: tuple
    graph: Graph
    serialised: dict[str, bytes] = field(default_factory=dict)


_cache: dict[str, _Cached] = {}


def base_url(datasette, request) -> str:
    configured = os.environ.get("OPENUP_BASE_URL") or (datasette.plugin_config(PLUGIN) or {}).get("base_url")
    return (configured or f"{request.scheme}://{request.host}").rstrip("/")


async def catalog_graph(datasette, request) -> _Cached | None:
    database = await ledger_database(datasette)
    if database is None:
        return None
    base = base_url(datasette, request)
    key = (database.path or database.name, base, await database.execute_fn(version))
    cached = _cache.get(database.name)
    if cached is None or cached.key != key:
        config = CatalogConfig.from_plugin_config(datasette.plugin_config(PLUGIN), base)

        def build(conn):
            return DcatApSeProfile(config).graph(read_facts(conn, database.name))

        cached = _Cached(key, await database.execute_fn(build))
        _cache[database.name] = cached
    return cached


def _suffix(request) -> str:
    suffix = request.url_vars.get("suffix")
    if suffix:
        return suffix
    accept = request.headers.get("accept", "")
    for media_type, candidate in _ACCEPTED.items():
        if media_type in accept:
            return candidate
    return ""


async def catalog_view(datasette, request):
    cached = await catalog_graph(datasette, request)
    if cached is None:
        return Response.text("Ingen leverantörsreskontra att beskriva.", status=404)
    suffix = _suffix(request)
    rdf_format, media_type = FORMATS[suffix]
    if rdf_format == "turtle" and len(cached.graph) > PRETTY_TURTLE_LIMIT:
        rdf_format = "nt"
    if rdf_format not in cached.serialised:
        cached.serialised[rdf_format] = cached.graph.serialize(format=rdf_format, encoding="utf-8")
    return Response(cached.serialised[rdf_format], content_type=f"{media_type}; charset=utf-8",
                    headers={**_CORS, "Vary": "Accept"})


async def openapi_view(datasette, request):
    databases = {}
    for name, database in datasette.databases.items():
        if name == "_internal":
            continue
        hidden = set(await database.hidden_table_names())
        tables = {}
        for table in await database.table_names():
            if table not in hidden:
                details = await database.table_column_details(table)
                tables[table] = [Column(c.name, c.type, not (c.notnull or c.is_pk), bool(c.is_pk)) for c in details]
        queries = {
            query: (spec.get("title") or query,
                    spec.get("params") or sorted(set(re.findall(r":(\w+)", spec["sql"]))))
            for query, spec in (await datasette.get_canned_queries(name, None)).items()}
        databases[name] = {"tables": tables, "queries": queries}
    document = openapi_document(base_url(datasette, request), databases)
    return Response(json.dumps(document, ensure_ascii=False, indent=1),
                    content_type="application/json; charset=utf-8", headers=_CORS)


@hookimpl
def register_routes():
    return [
        (r"^/datasets/dcat(?P<suffix>\.ttl|\.jsonld|\.rdf)?$", catalog_view),
        (r"^/openapi\.json$", openapi_view),
    ]
