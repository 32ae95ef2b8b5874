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


# The columns a ledger page is filtered on first (?kopare_id=, and a supplier's key, which the
# pages link by, or id, which a reader types), each with the table that holds the ledger's rows
# (rader) and sum (summa) per value, and per buyer: with one of them as its only filter, a page's
# count, sum and facets are read from that table. kopare is in every database (in a year's, the
# year's figures); leverantor_kopare only in a year's.
TOTALS_BY = {"kopare_id": "kopare", "leverantor_nyckel": "leverantor_kopare", "leverantor_id": "leverantor_kopare"}

# How Datasette's queries of such a page end: its rows (with the page's order and limit), the
# facets' rows (without them) and the count.
_ONE_VALUE_FROM = rf'from\s+{LEDGER}\s+where\s+"(?P<column>{"|".join(TOTALS_BY)})"\s*=\s*:p0\s*'
_ONE_VALUE = re.compile(rf'\s{_ONE_VALUE_FROM}(order\s+by\s+[\w\[\]"\s,]+?\s*)?(limit\s+\d+\s*)?$', re.IGNORECASE)
ONE_VALUE_COUNT = re.compile(rf"select\s+count\(\*\)\s+{_ONE_VALUE_FROM}", re.IGNORECASE)  # whole, to fullmatch


def one_value(sql: str, params) -> str | None:
    """The column of TOTALS_BY that a ledger page's query selects one value of (:p0) when that is
    its only filter, else None."""
    if params and set(params) == {"p0"} and (match := _ONE_VALUE.search(sql)):
        return match["column"]
    return None


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
