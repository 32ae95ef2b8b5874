"""A national database whose ledger is in year databases (`openup shard`): its ledger's links answer.

Pages and flags link to the ledger of the database they read (`/openup/leverantorsreskontra?…`).
When that database is a national one, its rows are in one database per booking year, so such a
link is sent on to the year its date filters fall in, with every filter kept; a link whose rows
span years answers 300 with the years to choose from, each a link with the same filters (the
JSON twin lists them as JSON). A row's page goes to the year database that holds the row.
"""

from __future__ import annotations

import re

from datasette import hookimpl
from datasette.utils.asgi import Response
from .ledger import LEDGER, year_databases

# Datasette's filters on bokforingsdatum that bound its year from below, from above.
_FROM, _UNTIL = {"", "exact", "startswith", "gte", "gt"}, {"", "exact", "startswith", "lte", "lt"}
_YEAR = re.compile(r"^(\d{4})(.*)$")


def years_asked(args, years: list[int]) -> list[int]:
    """The years among years that the request's filters on bokforingsdatum leave open."""
    low, high = min(years), max(years)
    for key, value in _pairs(args):
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


def _pairs(args) -> list[tuple[str, str]]:
    return [(key, value) for key in args.keys() for value in args.getlist(key)]


def _query(request) -> str:
    return f"?{request.query_string}" if request.query_string else ""


def _table_view(database: str, years: dict[int, str]):
    async def view(request, datasette):
        shape = request.url_vars.get("format") or ""
        chosen = years_asked(request.args, sorted(years))
        if len(chosen) == 1:
            return Response.redirect(datasette.urls.table(years[chosen[0]], LEDGER) + shape + _query(request))
        listed = [{"ar": year, "databas": years[year],
                   "url": datasette.urls.table(years[year], LEDGER) + shape + _query(request)}
                  for year in chosen or sorted(years)]
        message = ("Reskontrans rader finns i en databas per bokföringsår, och dessa filter gäller flera år: "
                   "välj ett år, eller filtrera på bokforingsdatum inom ett år.")
        if shape:
            return Response.json({"ok": False, "status": 300, "error": message, "ar": listed}, status=300)
        html = await datasette.render_template(
            "arsdatabaser.html", {"database": database, "message": message, "years": listed,
                                  "filters": [(k, v) for k, v in _pairs(request.args) if not k.startswith("_")]},
            request=request)
        return Response.html(html, status=300)
    return view


def _row_view(years: dict[int, str]):
    async def view(request, datasette):
        row_id, shape = request.url_vars["pks"], request.url_vars.get("format") or ""
        for name in years.values():
            found = await datasette.get_database(name).execute(
                f"SELECT 1 FROM {LEDGER} WHERE id = :id", {"id": row_id})
            if found.rows:
                return Response.redirect(datasette.urls.row(name, LEDGER, row_id) + shape + _query(request))
        return Response.json({"ok": False, "status": 404, "error": f"Ingen rad med id {row_id}"}, status=404)
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
    return routes
