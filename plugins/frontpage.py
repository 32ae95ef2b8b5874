"""The Swedish front page (what the data is and who published which months) and the guide's
examples drawn from the data served."""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Response

from .ledger import ledger_database, once_per_version, year_databases

_MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
_COVERAGE = """SELECT k.kopare_id, k.kopare, k.typ, s.ar, group_concat(DISTINCT substr(s.manad, 6, 2))
        AS manader, sum(s.rader) AS rader, round(sum(s.summa), 2) AS summa
    FROM kopare_manad s JOIN kopare k ON k.kopare_id = s.kopare_id
    GROUP BY k.kopare_id, s.ar ORDER BY k.kopare, s.ar"""


@hookimpl
def extra_template_vars(template, datasette):
    if template == "pages/guide.html":
        return {"largest_supplier": lambda: _largest_supplier(datasette)}
    if template != "index.html":
        return {}

    async def coverage():
        database = await ledger_database(datasette)
        if database is None:
            return None
        return await once_per_version(database, "frontpage", lambda: _coverage(datasette, database))

    return {"openup": coverage}


async def front_page(datasette, request):
    """index.html with what it shows, and not Datasette's list of every table of every database
    (the /.json twin keeps it): with a database per year that list took 350 ms a request."""
    return Response.html(await datasette.render_template(
        "index.html", {"metadata": datasette.metadata()}, request=request))


@hookimpl
def register_routes():
    return [(r"^/$", front_page)]


async def _largest_supplier(datasette) -> dict | None:
    """The supplier paid the most, for the guide's example of a supplier's history."""
    database = await ledger_database(datasette)
    if database is None:
        return None
    rows = (await database.execute("SELECT leverantor_id, leverantor FROM leverantorer "
                                   "ORDER BY summa DESC LIMIT 1")).rows
    return {"database": database.name, **dict(rows[0])} if rows else None


async def _coverage(datasette, database) -> dict:
    """Who published which months: the same for every visitor until the next load, so its table
    (a row per buyer and year) is rendered once, not on every request."""
    rows = (await database.execute(_COVERAGE)).rows
    info = dict((await database.execute("SELECT nyckel, varde FROM databasinfo")).rows)
    coverage = [{**dict(row), "manader": _months(row["manader"])} for row in rows]
    return {
        "database": database.name,
        "coverage_html": await datasette.render_template(
            "_coverage.html", {"coverage": coverage, "database": database.name}),
        "buyers": len({row["kopare_id"] for row in rows}),
        "rows": sum(row["rader"] for row in rows),
        "latest_load": info.get("senast_inlast"),
        "years": sorted(year_databases(datasette, database.name).items()),  # each year's rows' own database
    }


def _months(codes: str) -> list[tuple[str, bool]]:
    """Twelve (month name, covered) pairs."""
    covered = set((codes or "").split(","))
    return [(name, f"{n:02d}" in covered) for n, name in enumerate(_MONTHS, start=1)]
