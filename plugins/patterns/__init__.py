"""Procurement-pattern views under /inkop: each page has a .json twin with the same figures.

Bad parameters answer 400 with a message, unknown ids 404; numbers are numbers, amounts SEK
with two decimals, organisation numbers NNNNNN-NNNN.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from datasette import Response, hookimpl
from markupsafe import Markup, escape
from datasette.database import QueryInterrupted
from datasette.utils import path_with_replaced_args
from openup.flags import as_shown, rows_behind, stored_hit
from openup.indicator import BadParameter
from openup.indicators import INDICATORS
from openup.periods import month_ranges

from ..ledger import ledger_database
from . import charts
from .coverage import buyer_months, coverage, in_rows
from .filters import NotFound, common_filters, page_window
from .tables_csv import csv_response, csv_text, table_csv, table_csv_url
from .views import buyer_page, compare_page, not_assessed, overview_page, quality_page, supplier_page

PLUGIN_NAME = "openup"  # Datasette serves a plugin's static/ under its distribution's name


def paged(datasette, request, window: tuple[int, int], following: list) -> dict:
    """A page as in Datasette, from the rows at the window's offset (one more than its size when
    more follow): next is the token to pass as _next, next_url the next page's URL."""
    size, offset = window
    token = str(offset + size) if len(following) > size else None
    next_url = None
    if token:
        next_url = datasette.absolute_url(request, path_with_replaced_args(request, {"_next": token}))
    return {"rows": following[:size], "next": token, "next_url": next_url}


def page_of(datasette, request, window: tuple[int, int], rows: list) -> dict:
    """The window's page of all the rows."""
    size, offset = window
    return paged(datasette, request, window, rows[offset: offset + size + 1])


def _from_defaults(indicator, filters, own) -> bool:
    """Whether the hits asked for are in flaggor, built with the database for the defaults."""
    return own == indicator.arguments({}) and (indicator.yearly or not filters["ar"])


async def _run(database, sql: str, arguments: dict) -> list[dict]:
    try:
        return [dict(r) for r in (await database.execute(sql, arguments)).rows]
    except QueryInterrupted:
        raise BadParameter("frågan tog för lång tid med de här parametrarna: ange kopare och ar, "
                           "eller använd standardvärdena") from None


_STORED = """FROM flaggor WHERE indikator = :indikator AND (:kopare = '' OR kopare_id = :kopare)
    AND (:ar = '' OR ar IS NULL OR ar = CAST(:ar AS INTEGER))"""


async def _hits_page(database, indicator, filters, own, size: int, offset: int) -> list[dict]:
    """size + 1 hits from offset, as shown, each with the path of its rows (rader_url): read
    from flaggor, or computed with these parameters."""
    if _from_defaults(indicator, filters, own):
        rows = await _run(database, f"""SELECT * {_STORED} ORDER BY sortering DESC, belopp DESC, rowid
            LIMIT {size + 1} OFFSET {offset}""", {**filters, "indikator": indicator.slug})
        return [{**stored_hit(row), "rader_url": row["rader_url"]} for row in rows]
    hits = await _run(database, f"SELECT * FROM ({indicator.sql}) LIMIT {size + 1} OFFSET {offset}",
                      {**filters, **own})
    return [{**hit, "rader_url": rows_behind(database.name, indicator, hit)}
            for hit in (as_shown(indicator, h) for h in hits)]


async def hit_count(database, indicator, filters, own) -> int:
    """How many hits there are, on every page."""
    if _from_defaults(indicator, filters, own):
        return (await _run(database, f"SELECT count(*) AS n {_STORED}",
                           {**filters, "indikator": indicator.slug}))[0]["n"]
    return (await _run(database, f"SELECT count(*) AS n FROM ({indicator.sql})", {**filters, **own}))[0]["n"]


async def _with_names(database, hits: list[dict]) -> list[dict]:
    """Each hit with the buyer's and the supplier's name beside their numbers."""
    buyers = {r["kopare_id"]: r["kopare"] for r in await _run(database, "SELECT kopare_id, kopare FROM kopare", {})}
    suppliers = {h["leverantor_id"] for h in hits if h.get("leverantor_id")}
    placeholders = ", ".join(f":s{i}" for i in range(len(suppliers)))
    names = {r["leverantor_id"]: r["leverantor"] for r in await _run(
        database, f"SELECT leverantor_id, leverantor FROM leverantorer WHERE leverantor_id IN ({placeholders})",
        {f"s{i}": s for i, s in enumerate(suppliers)})} if suppliers else {}
    named = []
    for hit in hits:
        row = {}
        for key, value in hit.items():
            if key in ("kopare", "leverantor"):
                continue  # placed beside its number
            row[key] = value
            if key == "kopare_id":
                row["kopare"] = buyers.get(value)
            elif key == "leverantor_id":  # a supplier without a number: the key is its name
                row["leverantor"] = hit.get("leverantor") or names.get(value, value)
        named.append(row)
    return named


def _indicator(slug: str):
    indicator = INDICATORS.get(slug)
    if indicator is None:
        raise NotFound(f"okänd indikator {slug!r}; finns: {', '.join(INDICATORS)}")
    return indicator


async def indicator_hits(datasette, request, slug: str) -> dict:
    indicator = _indicator(slug)
    database = await ledger_database(datasette)
    filters, own = await common_filters(request, database), indicator.arguments(request.args)
    window = page_window(datasette, request)
    hits = await _with_names(database, await _hits_page(database, indicator, filters, own, *window))
    page = paged(datasette, request, window, hits)
    months = await buyer_months(database)
    for row in page["rows"]:
        row["rader_url"] = datasette.absolute_url(request, row["rader_url"])
        if indicator.rows_behind != "invoice" and "ar" in row:  # a figure of the buyer's year
            row.update(in_rows(coverage(months, [row["kopare_id"]], [row["ar"]])))
    return {"indikator": slug, "titel": indicator.title, "parametrar": {**filters, **own}, **page,
            "ej_bedomda": await not_assessed(database, indicator, filters), "indicator": indicator}


def respond(datasette, request, data: dict, template: str):
    """The .json twin, a table as .csv, or the page, from the same data."""
    if request.url_vars.get("csv"):
        page_name = "-".join(part for part in request.path.removesuffix(".csv").split("/") if part)
        return table_csv(data, request.args.get("tabell"), page_name)
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
    if request.url_vars.get("json") or request.url_vars.get("csv"):
        return Response.json({"ok": False, "error": message, "status": status}, status=status)
    html = await datasette.render_template("inkop/fel.html", {"message": message, "status": status},
                                           request=request)
    return Response.html(html, status=status)


async def render_page(datasette, request, data: dict, template: str):
    response = respond(datasette, request, data, template)
    if isinstance(response, Response):
        return response
    return Response.html(await response)


@guarded
async def flags_index(datasette, request):
    """Every indicator with its number of hits (with its defaults) for the buyer and year asked."""
    database = await ledger_database(datasette)
    filters, window = await common_filters(request, database), page_window(datasette, request)
    query = urlencode({k: v for k, v in filters.items() if v})
    query = f"?{query}" if query else ""
    summaries = []
    for slug, indicator in INDICATORS.items():
        summaries.append({"indikator": slug, "titel": indicator.title, "flaggar": indicator.flags,
                          "traffar": await hit_count(database, indicator, filters, indicator.arguments({})),
                          "ej_bedomda": len(await not_assessed(database, indicator, filters)),
                          "sida": datasette.absolute_url(request, f"/inkop/flaggor/{slug}{query}"),
                          "url": datasette.absolute_url(request, f"/inkop/flaggor/{slug}.json{query}")})
    return await render_page(datasette, request, {**page_of(datasette, request, window, summaries), "filter": filters},
                       "inkop/flaggor.html")


@guarded
async def indicator_csv(datasette, request):
    """Every hit for these parameters (not a page of them), as CSV with the JSON's fields."""
    slug = request.url_vars["slug"]
    indicator = _indicator(slug)
    database = await ledger_database(datasette)
    filters, own = await common_filters(request, database), indicator.arguments(request.args)
    everything = await hit_count(database, indicator, filters, own)
    hits = await _with_names(database, await _hits_page(database, indicator, filters, own, everything, 0))
    for hit in hits:
        hit["rader_url"] = datasette.absolute_url(request, hit["rader_url"])
    return csv_response(csv_text(hits), f"flaggor-{slug}")


@guarded
async def indicator_view(datasette, request):
    data = await indicator_hits(datasette, request, request.url_vars["slug"])
    return await render_page(datasette, request, data, "inkop/indikator.html")


def _with_lookups(view, template):
    @guarded
    async def run(datasette, request):
        database = await ledger_database(datasette)
        filters, window = await common_filters(request, database), page_window(datasette, request)
        data = await view(database, request, filters=filters)
        page = page_of(datasette, request, window, data["rows"]) if "rows" in data else {
            "next": None, "next_url": None}  # a page of figures, not of rows
        return await render_page(datasette, request, {**data, **page, "database": database.name}, template)
    return run


@hookimpl
def render_cell(value, column, table):
    """In flaggor, each hit's rows are a link."""
    if table == "flaggor" and column == "rader_url" and isinstance(value, str) and value.startswith("/"):
        return Markup(f'<a href="{escape(value)}">Raderna bakom</a>')
    return None


@hookimpl
def extra_template_vars(template, datasette):
    if not template.startswith("inkop/"):
        return {}
    return {"line_chart": charts.line, "bar_chart": charts.bar, "month_ranges": month_ranges,
            "table_csv_url": table_csv_url,
            "specifikation": (datasette.plugin_config("openup-dcat") or {}).get("specification"),
            "chart_scripts": [datasette.urls.static_plugins(PLUGIN_NAME, f)
                              for f in (*charts.VENDOR, "inkop.js")]}


@hookimpl
def register_routes():
    return [
        (r"^/inkop(?:(?P<json>\.json)|(?P<csv>\.csv))?$", _with_lookups(overview_page, "inkop/oversikt.html")),
        (r"^/inkop/flaggor(?:(?P<json>\.json)|(?P<csv>\.csv))?$", flags_index),
        (r"^/inkop/flaggor/(?P<slug>[^/.]+)(?P<json>\.json)?$", indicator_view),
        (r"^/inkop/flaggor/(?P<slug>[^/.]+)\.csv$", indicator_csv),
        (r"^/inkop/kopare/(?P<id>[^/]+?)(?:(?P<json>\.json)|(?P<csv>\.csv))?$",
         _with_lookups(buyer_page, "inkop/kopare.html")),
        (r"^/inkop/leverantor/(?P<id>[^/]+?)(?:(?P<json>\.json)|(?P<csv>\.csv))?$",
         _with_lookups(supplier_page, "inkop/leverantor.html")),
        (r"^/inkop/jamfor(?:(?P<json>\.json)|(?P<csv>\.csv))?$", _with_lookups(compare_page, "inkop/jamfor.html")),
        (r"^/inkop/kvalitet(?:(?P<json>\.json)|(?P<csv>\.csv))?$", _with_lookups(quality_page, "inkop/kvalitet.html")),
    ]
