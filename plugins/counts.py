"""The rows of a ledger page filtered on one buyer or one supplier id, counted from their totals.

Datasette's table page counts the rows its filters select with `select count(*) from <table>
where …`. Filtered on one buyer or supplier (?kopare_id=, ?leverantor_id=, the filters a reporter
types first), that reads every index entry of their rows: about 60 ms a million, so the largest
buyers' and suppliers' pages were the slowest of a national instance. Their rows are in the tables
of TOTALS_BY already. Datasette has no hook for the count, so the execute() of each served database
holding the ledger and such a table is wrapped: that one query, matched whole with the value as
its only parameter, is answered from the totals, and every other query runs as sent.
"""

from __future__ import annotations

from datasette import hookimpl

from .ledger import LEDGER, ONE_VALUE_COUNT, TOTALS_BY


def _counted_rows(column: str) -> str:
    return f"SELECT coalesce((SELECT sum(rader) FROM {TOTALS_BY[column]} WHERE {column} = :p0), 0) AS [count(*)]"


def _count_from_totals(database, columns: set[str]) -> None:
    execute = database.execute

    async def execute_counting_from_totals(sql, params=None, *args, **kwargs):
        if (isinstance(params, dict) and set(params) == {"p0"} and (match := ONE_VALUE_COUNT.fullmatch(sql))
                and match["column"] in columns):
            sql = _counted_rows(match["column"])
        return await execute(sql, params, *args, **kwargs)

    database.execute = execute_counting_from_totals


async def _totalled_columns(database) -> set[str]:
    """The columns of TOTALS_BY whose totals the database holds."""
    return {column for column, table in TOTALS_BY.items() if await database.table_exists(table)}


@hookimpl
def startup(datasette):
    async def wrap_ledger_databases():
        for database in datasette.databases.values():
            if await database.table_exists(LEDGER) and (columns := await _totalled_columns(database)):
                _count_from_totals(database, columns)
    return wrap_ledger_databases
