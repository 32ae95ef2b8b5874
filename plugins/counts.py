"""The rows of one buyer's ledger page counted from the buyer's totals.

Datasette's table page counts the rows its filters select with `select count(*) from <table>
where …`. Filtered on one buyer (?kopare_id=, the filter a reporter types first), that reads every
index entry of the buyer's rows: about 60 ms a million, so the largest buyers' pages were the
slowest of a national instance. The rows per buyer are in kopare already (in a year's database,
the year's). Datasette has no hook for the count, so the execute() of each served database
holding both tables is wrapped: that one query, matched whole with a buyer as its only parameter,
is answered from kopare, and every other query runs as sent.
"""

from __future__ import annotations

from datasette import hookimpl

from .ledger import LEDGER, ONE_BUYER_COUNT

_BUYER_ROWS = "SELECT coalesce((SELECT rader FROM kopare WHERE kopare_id = :p0), 0) AS [count(*)]"


def _count_buyers_from_totals(database) -> None:
    execute = database.execute

    async def execute_counting_from_totals(sql, params=None, *args, **kwargs):
        if isinstance(params, dict) and set(params) == {"p0"} and ONE_BUYER_COUNT.fullmatch(sql):
            sql = _BUYER_ROWS
        return await execute(sql, params, *args, **kwargs)

    database.execute = execute_counting_from_totals


@hookimpl
def startup(datasette):
    async def wrap_ledger_databases():
        for database in datasette.databases.values():
            if (await database.table_exists(LEDGER) and await database.table_exists("kopare")
                    and "rader" in await database.table_columns("kopare")):
                _count_buyers_from_totals(database)
    return wrap_ledger_databases
