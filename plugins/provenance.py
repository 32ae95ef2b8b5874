"""Checking a figure: a ledger row's page names the file, its line, where the publisher
published the file and when it was loaded; a filtered ledger page gives the sum of what it
lists, so a reader can see that the rows add up to the figure that led there."""

from __future__ import annotations

import re

from datasette import hookimpl
from datasette.database import QueryInterrupted

from .ledger import LEDGER, TOTALS_BY, summarised_filters, whole_table


@hookimpl
def extra_template_vars(template, datasette, database):
    if template != "row.html":
        return {}

    async def row_source(row_id) -> dict | None:
        rows = (await datasette.get_database(database).execute(
            """SELECT f.id AS kallfil_id, f.filnamn, r.kallrad, f.kalla, f.licens, f.inlast
               FROM leverantorsreskontra r JOIN kallfiler f ON f.id = r.kallfil_id WHERE r.id = :id""",
            {"id": row_id})).rows
        return dict(rows[0]) if rows else None

    return {"row_source": row_source}


_PAGE_LIMIT = re.compile(r"\s+limit\s+\d+\s*$", re.IGNORECASE)
# Without the page's order the sum is read from an index that holds nettobelopp.
_PAGE_ORDER = re.compile(r"\s+order\s+by\s+[\w\[\]\"\s,]+$", re.IGNORECASE)


@hookimpl(specname="extra_template_vars")
def ledger_sum_vars(template, datasette, database, table, request):
    if template != "table.html" or table != LEDGER:
        return {}

    async def ledger_sum(sql: str, params: dict) -> float | None:
        """The sum of every row the filtered page lists (all its pages), so a reader can check
        it against the figure that led here; None past the first page or the time limit."""
        if request.args.get("_next") or not _PAGE_LIMIT.search(sql):
            return None
        db = datasette.get_database(database)
        # The whole ledger's from the buyers' totals, a buyer's, supplier's or month's from theirs,
        # where the database has them (a buyer's exported file has none, a year's the suppliers').
        filters = summarised_filters(sql, params)
        if whole_table(sql) and await db.table_exists("kopare"):
            total = "SELECT round(sum(summa), 2) FROM kopare"
        elif filters is not None and await db.table_exists(TOTALS_BY[filters.columns]):
            total = f"SELECT round(sum(summa), 2) FROM {TOTALS_BY[filters.columns]} WHERE {filters.where}"
        else:
            total = f"SELECT round(sum(nettobelopp), 2) FROM ({_PAGE_ORDER.sub('', _PAGE_LIMIT.sub('', sql))})"
        try:
            rows = (await db.execute(total, params)).rows
        except QueryInterrupted:
            return None
        return rows[0][0]

    return {"ledger_sum": ledger_sum}
