"""Procurement-pattern views under /inkop: each page has a .json twin with the same figures.

Bad parameters answer 400 with a message, unknown ids 404; numbers are numbers, amounts SEK
with two decimals, organisation numbers NNNNNN-NNNN.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

from datasette import Response, hookimpl
from datasette.database import QueryInterrupted

from ..ledger import ledger_database
from . import charts
from .cache import default_hits, warm
from .filters import common_filters, matches, page_window
from .indicator import BadParameter
from .indicators import INDICATORS
from .views import buyer_page, compare_page, overview_page, quality_page, supplier_page

PLUGIN_NAME = "openup"  # Datasette serves a plugin's static/ under its distribution's name


class NotFound(Exception):
    pass


def rows_behind(database: str, indicator, row: dict) -> str:
    """The ledger rows behind a hit, as a Datasette table URL."""
    filters = []
    if indicator.rows_behind != "supplier":  # a supplier's hit spans every buyer
        filters.append(("kopare_id", row["kopare_id"]))
    if indicator.rows_behind != "buyer_year" and row.get("leverantor_id"):
        filters.append(("leverantor_nyckel", row["leverantor_id"]))
    if indicator.rows_behind == "invoice" and row.get("bokforingsdatum"):
        filters.append(("bokforingsdatum", row["bokforingsdatum"]))
    elif row.get("ar"):
        filters += [("bokforingsdatum__gte", f"{row['ar']}-01-01"),
                    ("bokforingsdatum__lte", f"{row['ar']}-12-31")]
    return f"/{database}/leverantorsreskontra?{urlencode(filters)}"


def _money(row: dict) -> dict:
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}


async def _hits_page(database, indicator, filters, own, size: int, offset: int) -> list[dict]:
    """size + 1 hits from offset: from the computed defaults, or run with these parameters."""
    if own == indicator.arguments({}) and (indicator.yearly or not filters["ar"]):
        hits = [r for r in await default_hits(database, indicator) if matches(r, filters)]
        return hits[offset: offset + size + 1]
    sql = f"SELECT * FROM ({indicator.sql}) LIMIT {size + 1} OFFSET {offset}"
    try:
        return [dict(r) for r in (await database.execute(sql, {**filters, **own})).rows]
    except QueryInterrupted:
        raise BadParameter("frågan tog för lång tid med de här parametrarna: ange kopare och ar, "
                           "eller använd standardvärdena") from None


async def indicator_hits(datasette, request, slug: str) -> dict:
    indicator = INDICATORS.get(slug)
    if indicator is None:
        raise NotFound(f"okänd indikator {slug!r}; finns: {', '.join(INDICATORS)}")
    database = await ledger_database(datasette)
    filters, own = common_filters(request), indicator.arguments(request.args)
    arguments = {**filters, **own}
    size, offset = page_window(request)
    rows = [_money(r) for r in await _hits_page(database, indicator, filters, own, size, offset)]
    more = len(rows) > size
    rows = rows[:size]
    for row in rows:
        row["rader_url"] = datasette.absolute_url(request, rows_behind(database.name, indicator, row))
    next_url = None
    if more:
        query = [(k, v) for k in request.args.keys() if k != "_next" for v in request.args.getlist(k)]
        query.append(("_next", str(offset + size)))
        next_url = datasette.absolute_url(request, f"{request.path}?{urlencode(query)}")
    return {"indikator": slug, "titel": indicator.title, "parametrar": arguments,
            "rows": rows, "next": next_url, "indicator": indicator}


def respond(datasette, request, data: dict, template: str):
    """The .json twin or the page, from the same data."""
    if request.url_vars.get("json"):
        body = {k: v for k, v in data.items() if k != "indicator"}
        return Response(json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8",
                        headers={"Access-Control-Allow-Origin": "*"})
    return datasette.render_template(template, data, request=request)


def guarded(view):
    """400 for bad parameters, 404 for unknown ids, as JSON or as a page."""
    async def run(datasette, request):
        try:
            return await view(datasette, request)
        except BadParameter as error:
            return await _error(datasette, request, 400, str(error))
        except NotFound as error:
            return await _error(datasette, request, 404, str(error))
    return run


async def _error(datasette, request, status: int, message: str):
    if request.url_vars.get("json"):
        return Response.json({"ok": False, "error": message, "status": status}, status=status)
    html = await datasette.render_template("inkop/fel.html", {"message": message, "status": status},
                                           request=request)
    return Response.html(html, status=status)


async def _page(datasette, request, data: dict, template: str):
    response = respond(datasette, request, data, template)
    if isinstance(response, Response):
        return response
    return Response.html(await response)


@guarded
async def flags_index(datasette, request):
    filters = common_filters(request)
    summaries = []
    for slug, indicator in INDICATORS.items():
        hits = await indicator_hits(datasette, request, slug)
        summaries.append({"indikator": slug, "titel": indicator.title, "flaggar": indicator.flags,
                          "traffar_forsta_sidan": len(hits["rows"]), "fler": hits["next"] is not None,
                          "url": datasette.absolute_url(request, f"/inkop/flaggor/{slug}.json")})
    return await _page(datasette, request, {"rows": summaries, "next": None, "filter": filters},
                       "inkop/flaggor.html")


@guarded
async def indicator_view(datasette, request):
    data = await indicator_hits(datasette, request, request.url_vars["slug"])
    return await _page(datasette, request, data, "inkop/indikator.html")


def _with_lookups(view, template):
    @guarded
    async def run(datasette, request):
        database = await ledger_database(datasette)
        data = await view(database, request, filters=common_filters(request))
        if data is None:
            raise NotFound("finns inte i databasen")
        data.setdefault("next", None)
        return await _page(datasette, request, {**data, "database": database.name}, template)
    return run


@hookimpl
def startup(datasette):
    """When the instance is served (not in tests), compute the indicators in the background."""
    if (datasette.plugin_config(PLUGIN_NAME) or {}).get("warm_indicators"):
        async def begin():
            asyncio.ensure_future(warm(datasette))
        return begin


@hookimpl
def extra_template_vars(template, datasette):
    if not template.startswith("inkop/"):
        return {}
    return {"line_chart": charts.line, "bar_chart": charts.bar,
            "chart_scripts": [datasette.urls.static_plugins(PLUGIN_NAME, f)
                              for f in (*charts.VENDOR, "inkop.js")]}


@hookimpl
def register_routes():
    return [
        (r"^/inkop(?P<json>\.json)?$", _with_lookups(overview_page, "inkop/oversikt.html")),
        (r"^/inkop/flaggor(?P<json>\.json)?$", flags_index),
        (r"^/inkop/flaggor/(?P<slug>[^/.]+)(?P<json>\.json)?$", indicator_view),
        (r"^/inkop/kopare/(?P<id>[^/]+?)(?P<json>\.json)?$", _with_lookups(buyer_page, "inkop/kopare.html")),
        (r"^/inkop/leverantor/(?P<id>[^/]+?)(?P<json>\.json)?$",
         _with_lookups(supplier_page, "inkop/leverantor.html")),
        (r"^/inkop/jamfor(?P<json>\.json)?$", _with_lookups(compare_page, "inkop/jamfor.html")),
        (r"^/inkop/kvalitet(?P<json>\.json)?$", _with_lookups(quality_page, "inkop/kvalitet.html")),
    ]
