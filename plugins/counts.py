"""The rows of a ledger page filtered on a buyer, a supplier or a month, counted from their totals.

Datasette's table page counts the rows its filters select with `select count(*) from <table>
where …`. Filtered on one buyer or supplier (?kopare_id=, ?leverantor_id=, the filters a reporter
types first, or a supplier's key or a month as the pages link), that reads every index entry of
their rows: about 60 ms a million, so the largest buyers' and suppliers' pages were the slowest of
a national instance. Their rows are in the tables of TOTALS_BY already. Datasette has no hook for the count,
so the execute() of each served database holding the ledger and such a table is wrapped: that
one query, matched whole with the values as its only parameters, is answered from the totals,
and every other query runs as sent.
"""

from __future__ import annotations

from datasette import hookimpl

from .ledger import LEDGER, TOTALS_BY, summarised_count


def _count_from_totals(database, tables: set[str]) -> None:
    execute = database.execute

    async def execute_counting_from_totals(sql, params=None, *args, **kwargs):
        filters = summarised_count(sql, params)
        if filters is not None and TOTALS_BY[filters.columns] in tables:
            sql = (f"SELECT coalesce((SELECT sum(rader) FROM {TOTALS_BY[filters.columns]} WHERE {filters.where}), 0) "
                   "AS [count(*)]")
        return await execute(sql, params, *args, **kwargs)

    database.execute = execute_counting_from_totals


@hookimpl
def startup(datasette):
    async def wrap_ledger_databases():
        for database in datasette.databases.values():
            tables = {table for table in set(TOTALS_BY.values()) if await database.table_exists(table)}
            if tables and await database.table_exists(LEDGER):
                _count_from_totals(database, tables)
    return wrap_ledger_databases
