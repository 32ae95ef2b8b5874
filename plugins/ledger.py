"""Finding the served database that holds the ledger (the plugins read only it)."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing

from openup.shards import read_year_databases

LEDGER = "leverantorsreskontra"


def whole_table(sql: str) -> bool:
    """Whether a table page's query (Datasette's "select … from <table> <where> …") is unfiltered."""
    return " where " not in sql.lower()


# The filters a ledger page is opened with first: one buyer (?kopare_id=), one supplier by key (as
# the pages link) or by id (as a reader types), or a buyer and a supplier (a buyer page's supplier
# row). Each names the table that holds the ledger's rows (rader) and sum (summa) per value of
# those columns: with only those filters, a page's count, sum and facets are read from it. kopare
# is in every database (in a year's, the year's figures); leverantor_kopare only in a year's.
SUPPLIER_TOTALS = "leverantor_kopare"
TOTALS_BY = {
    ("kopare_id",): "kopare",
    ("leverantor_nyckel",): SUPPLIER_TOTALS, ("leverantor_id",): SUPPLIER_TOTALS,
    ("kopare_id", "leverantor_nyckel"): SUPPLIER_TOTALS, ("kopare_id", "leverantor_id"): SUPPLIER_TOTALS,
}

# How Datasette's queries of such a page end (its filters in the order of their names): its rows
# (with the page's order and limit), the facets' rows (without them) and the count.
_EQUAL = r'"(\w+)"\s*=\s*:p(\d)'
_FILTERED_FROM = rf'from\s+{LEDGER}\s+where\s+(?P<where>{_EQUAL}(?:\s+and\s+{_EQUAL})?)\s*'
_FILTERED = re.compile(rf'\s{_FILTERED_FROM}(order\s+by\s+[\w\[\]"\s,]+?\s*)?(limit\s+\d+\s*)?$', re.IGNORECASE)
_FILTERED_COUNT = re.compile(rf"select\s+count\(\*\)\s+{_FILTERED_FROM}", re.IGNORECASE)


def _totalled(match: re.Match | None, params) -> tuple[str, ...] | None:
    if not match or not isinstance(params, dict):
        return None
    equal = re.findall(_EQUAL, match["where"])
    placeholders = [f"p{n}" for n in range(len(equal))]
    if [f"p{n}" for _, n in equal] != placeholders or sorted(params) != placeholders:
        return None
    columns = tuple(column for column, _ in equal)
    return columns if columns in TOTALS_BY else None


def totalled_filters(sql: str, params) -> tuple[str, ...] | None:
    """The filters of TOTALS_BY (a key of it) that a ledger page's query has, when they are all
    it has, else None."""
    return _totalled(_FILTERED.search(sql), params)


def totalled_count(sql: str, params) -> tuple[str, ...] | None:
    """As totalled_filters(), for a count of the page's rows (the whole query)."""
    return _totalled(_FILTERED_COUNT.fullmatch(sql), params)


def totals_where(filters: tuple[str, ...]) -> str:
    """The condition on TOTALS_BY[filters] that selects the totals of the page's values (:p0, :p1)."""
    return " AND ".join(f"{column} = :p{n}" for n, column in enumerate(filters))


async def ledger_database(datasette):
    """The first served database with the ledger's summary tables, or None."""
    for database in datasette.databases.values():
        if database.name != "_internal" and await database.table_exists("kopare_leverantor_manad"):
            return database
    return None


def year_databases(datasette, database: str) -> dict[int, str]:
    """The year databases of a served national database (openup shard), by year; {} for any
    other database. Read once per file."""
    path = datasette.databases[database].path
    if not path:
        return {}
    key = (path, os.stat(path).st_mtime_ns)
    if key not in _YEARS:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            _YEARS[key] = read_year_databases(conn)
    return _YEARS[key]


_YEARS: dict[tuple, dict[int, str]] = {}


def ledger_parts(database) -> list:
    """The databases holding database's ledger rows: itself, or its year databases by year."""
    years = year_databases(database.ds, database.name)
    return [database.ds.get_database(years[year]) for year in sorted(years)] or [database]


def version(conn: sqlite3.Connection) -> tuple:
    """Changes whenever a load changes the database: what is built from it is rebuilt only then."""
    return conn.execute("SELECT (SELECT varde FROM databasinfo WHERE nyckel = 'senast_inlast'), "
                        "(SELECT count(*) FROM kallfiler), (SELECT max(id) FROM kallfiler)").fetchone()


_results: dict[tuple, object] = {}
_running: dict[tuple, asyncio.Future] = {}  # per event loop: concurrent requests share one run


async def once_per_version(database, name: str, compute: Callable[[], Awaitable]) -> object:
    """What compute() gives, computed once per version of the database and kept in memory."""
    key = (database.path or database.name, name, await database.execute_fn(version))
    if key in _results:
        return _results[key]
    running_key = (key, id(asyncio.get_running_loop()))
    if running_key not in _running:
        _running[running_key] = asyncio.ensure_future(compute())
    try:
        value = await asyncio.shield(_running[running_key])
    finally:
        _running.pop(running_key, None)
    for stale in [k for k in _results if k[:2] == key[:2]]:
        del _results[stale]
    _results[key] = value
    return value
