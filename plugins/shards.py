"""A national database whose ledger is in year databases (`openup shard`): its ledger's links answer.

Pages and flags link to the ledger of the database they read (`/openup/leverantorsreskontra?…`).
When that database is a national one, its rows are in one database per booking year, so such a
link is sent on to the year its date filters fall in, with every filter kept but those every day
of that year meets (its database holds that year alone); a link whose rows
span years answers 300 with the years to choose from, each a link with the same filters and the
number of rows it has there (the .json and .csv twins list them as JSON and as text). A row's
page goes to the year database that holds the row, and /<year database>.parquet downloads the
year's rows as Parquet.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.filters import Filters
from datasette.utils import add_cors_headers
from datasette.utils.asgi import AsgiFileDownload, NotFound, Response
from openup.archive import MEDIA_TYPE, parquet_path
from openup.periods import period_bounds

from .ledger import LEDGER, year_databases

# Datasette's filters on bokforingsdatum that bound its year from below, from above.
_FROM = {"", "exact", "startswith", "date", "gte", "gt"}
_UNTIL = {"", "exact", "startswith", "date", "lte", "lt"}
_YEAR = re.compile(r"^(\d{4})(.*)$")
_COUNT_TIME_LIMIT_MS = 200  # per year: a count that takes longer is shown as unknown
_MESSAGE = ("Reskontrans rader finns i en databas per bokföringsår, och dessa filter gäller flera år: "
            "välj ett år, eller filtrera på bokforingsdatum inom ett år.")


def years_asked(pairs: list[tuple[str, str]], years: list[int]) -> list[int]:
    """The years among years that the filters on bokforingsdatum leave open."""
    low, high = min(years), max(years)
    for key, value in pairs:
        column, _, operator = key.partition("__")
        match = _YEAR.match(value)
        if column != "bokforingsdatum" or not match:
            continue
        year, rest = int(match.group(1)), match.group(2)
        if operator in _FROM:
            low = max(low, year + (operator == "gt" and rest == "-12-31"))
        if operator in _UNTIL:
            high = min(high, year - (operator == "lt" and rest in ("", "-01", "-01-01")))
    return [year for year in years if low <= year <= high]


def within_year(pairs: list[tuple[str, str]], year: int) -> list[tuple[str, str]]:
    """pairs without the filters on bokforingsdatum that every day of the year meets: in the year's
    database they select every row, and a page filtered on one buyer or supplier alone is read
    from its totals (plugins/counts.py) rather than counted."""
    first, last = period_bounds(str(year))
    every_day_meets = {"gte": lambda v: first >= v, "gt": lambda v: first > v, "lte": lambda v: last <= v,
                       "lt": lambda v: last < v, "startswith": lambda v: str(year).startswith(v)}

    def needless(key: str, value: str) -> bool:
        column, _, operator = key.partition("__")
        return column == "bokforingsdatum" and operator in every_day_meets and every_day_meets[operator](value)
    return [(key, value) for key, value in pairs if not needless(key, value)]


def _pairs(args) -> list[tuple[str, str]]:
    return [(key, value) for key in args.keys() for value in args.getlist(key)]


def _query(pairs: list[tuple[str, str]]) -> str:
    return f"?{urlencode(pairs)}" if pairs else ""


def _answer(datasette, response: Response) -> Response:
    if datasette.cors:
        add_cors_headers(response.headers)
    return response


async def _rows_in(datasette, database: str, pairs: list[tuple[str, str]]) -> int | None:
    """How many rows the filters select in a year's database; None when Datasette's filters do
    not say it all (_where, _search) or the count takes too long."""
    if any(key in ("_where", "_search") or key.startswith("_search_") for key, _ in pairs):
        return None
    filters = Filters(sorted((key, value) for key, value in pairs if not key.startswith("_")))
    where, params = filters.build_where_clauses(LEDGER)
    sql = f"SELECT count(*) FROM {LEDGER}" + (f" WHERE {' AND '.join(where)}" if where else "")
    try:
        return (await datasette.get_database(database).execute(
            sql, params, custom_time_limit=_COUNT_TIME_LIMIT_MS)).rows[0][0]
    except QueryInterrupted:
        return None


def _table_view(database: str, years: dict[int, str]):
    async def view(request, datasette):
        shape = request.url_vars.get("format") or ""
        pairs = _pairs(request.args)
        chosen = years_asked(pairs, sorted(years))
        if len(chosen) <= 1:  # none: the latest year answers that no row matches, as Datasette does
            year = chosen[0] if chosen else max(years)
            return _answer(datasette, Response.redirect(
                datasette.urls.table(years[year], LEDGER) + shape + _query(within_year(pairs, year))))
        kept = [(key, value) for key, value in pairs if key != "_next"]  # a page token is of one year
        listed = [{"ar": year, "databas": years[year], "rader": await _rows_in(datasette, years[year], pairs),
                   "url": datasette.urls.table(years[year], LEDGER) + shape + _query(within_year(kept, year))}
                  for year in chosen]
        if shape == ".json":
            body = {"ok": False, "status": 300, "error": _MESSAGE, "ar": listed}
            return _answer(datasette, Response(json.dumps(body, ensure_ascii=False), status=300,
                                               content_type="application/json; charset=utf-8"))
        if shape == ".csv":
            lines = [_MESSAGE, *(f"{year['ar']}: {year['url']}" for year in listed)]
            return _answer(datasette, Response.text("\n".join(lines) + "\n", status=300))
        html = await datasette.render_template("arsdatabaser.html", {
            "database": database, "message": _MESSAGE, "years": listed,
            "filters": [(key, value) for key, value in kept if not key.startswith("_")]}, request=request)
        return _answer(datasette, Response.html(html, status=300))
    return view


def _row_view(years: dict[int, str]):
    async def view(request, datasette):
        row_id, shape = request.url_vars["pks"], request.url_vars.get("format") or ""
        for name in years.values():
            found = await datasette.get_database(name).execute(
                f"SELECT 1 FROM {LEDGER} WHERE id = :id", {"id": row_id})
            if found.rows:
                return _answer(datasette, Response.redirect(
                    datasette.urls.row(name, LEDGER, row_id) + shape + _query(_pairs(request.args))))
        raise NotFound(f"Ingen rad med id {row_id}")
    return view


def _archive_view(year_database: str):
    """A year's rows as Parquet (the file openup shard writes beside its database), as a download."""
    async def view(request, datasette):
        archive = parquet_path(Path(datasette.databases[year_database].path))
        if not archive.exists():
            raise NotFound(f"Ingen Parquet-fil för {year_database}: kör openup shard igen")
        headers = {}
        if datasette.cors:
            add_cors_headers(headers)
        return AsgiFileDownload(archive, filename=archive.name, content_type=MEDIA_TYPE, headers=headers)
    return view


@hookimpl
def register_routes(datasette):
    routes = []
    for database in list(datasette.databases):
        years = year_databases(datasette, database)
        if years:
            path = re.escape(f"/{database}/{LEDGER}")
            routes.append((rf"^{path}(?P<format>\.json|\.csv)?$", _table_view(database, years)))
            routes.append((rf"^{path}/(?P<pks>\d+)(?P<format>\.json)?$", _row_view(years)))
            routes += [(rf"^/{re.escape(name)}\.parquet$", _archive_view(name))
                       for name in years.values() if name in datasette.databases]
    return routes
