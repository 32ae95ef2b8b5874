"""Finding the served database that holds the ledger (the plugins read only it)."""

from __future__ import annotations

import asyncio
import calendar
import os
import re
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from dataclasses import dataclass

from openup.shards import read_year_databases

LEDGER = "leverantorsreskontra"


def whole_table(sql: str) -> bool:
    """Whether a table page's query (Datasette's "select … from <table> <where> …") is unfiltered."""
    return " where " not in sql.lower()


# The filters a ledger page is opened with first: one buyer (?kopare_id=), one supplier by key (as
# the pages link) or by id (as a reader types), a buyer and a supplier (a buyer page's supplier
# row), and a whole month, of every buyer or of one (the pages' monthly figures; "manad" below).
# Each names the table that holds the ledger's rows (rader) and sum (summa) per value of those
# columns: with only those filters, a page's count, sum and facets are read from it. kopare and
# kopare_manad are in every database (in a year's, the year's figures); leverantor_kopare only in
# a year's.
SUPPLIER_TOTALS = "leverantor_kopare"
MONTH_TOTALS = "kopare_manad"
TOTALS_BY = {
    ("kopare_id",): "kopare",
    ("leverantor_nyckel",): SUPPLIER_TOTALS, ("leverantor_id",): SUPPLIER_TOTALS,
    ("kopare_id", "leverantor_nyckel"): SUPPLIER_TOTALS, ("kopare_id", "leverantor_id"): SUPPLIER_TOTALS,
    ("manad",): MONTH_TOTALS, ("kopare_id", "manad"): MONTH_TOTALS,
}


@dataclass(frozen=True)
class SummarisedFilters:
    """A ledger page's filters that a summary holds the figures of: their columns (a key of
    TOTALS_BY) and the condition on the summary that selects the page's rows' totals."""

    columns: tuple[str, ...]
    where: str


WHOLE_LEDGER = SummarisedFilters((), "")


# How Datasette's queries of such a page end (its filters in the order of their names): its rows
# (with the page's order and limit), the facets' rows (without them) and the count.
_CONDITION = r'"(\w+)"\s*(=|>=|<=)\s*:(p\d+)'  # column, operator, parameter
_FILTERED_FROM = rf'from\s+{LEDGER}\s+where\s+(?P<where>{_CONDITION}(?:\s+and\s+{_CONDITION}){{0,3}})\s*'
_FILTERED = re.compile(rf'\s{_FILTERED_FROM}(order\s+by\s+[\w\[\]"\s,]+?\s*)?(limit\s+\d+\s*)?$', re.IGNORECASE)
_FILTERED_COUNT = re.compile(rf"select\s+count\(\*\)\s+{_FILTERED_FROM}", re.IGNORECASE)
_DAY = re.compile(r"([0-9]{4}-[0-9]{2})-([0-9]{2})")
# The ledger's columns among TOTALS_BY's (manad is a summary's: on the ledger, SQLite would read
# "manad" as a string, and the page would list no row).
_LEDGER_COLUMNS = {"kopare_id", "leverantor_nyckel", "leverantor_id"}


def _whole_month(first, last) -> str | None:
    """The month ('2023-06') whose every day lies from first to last, both in it, else None (the
    pages give a month as its first day to the 31st; Datasette passes a year alone as a number)."""
    if not isinstance(first, str) or not isinstance(last, str):
        return None
    start, end = _DAY.fullmatch(first), _DAY.fullmatch(last)
    if not start or not end or start[1] != end[1] or start[2] != "01":
        return None
    year, month = map(int, start[1].split("-"))
    return start[1] if 1 <= month <= 12 and int(end[2]) >= calendar.monthrange(year, month)[1] else None


def _summarised(match: re.Match | None, params) -> SummarisedFilters | None:
    if not match or not isinstance(params, dict):
        return None
    conditions = re.findall(_CONDITION, match["where"])
    if sorted(params) != sorted(parameter for _, _, parameter in conditions):
        return None
    equal = {column: parameter for column, operator, parameter in conditions if operator == "="}
    dates = {operator: params[parameter] for column, operator, parameter in conditions
             if column == "bokforingsdatum" and operator != "="}
    if len(equal) + len(dates) != len(conditions) or not set(equal) <= _LEDGER_COLUMNS:
        return None
    month = _whole_month(dates.get(">=", ""), dates.get("<=", "")) if dates else None
    if dates and month is None:
        return None
    columns = tuple(sorted(equal)) + (("manad",) if month else ())
    if columns not in TOTALS_BY:
        return None
    where = [f"{column} = :{parameter}" for column, parameter in sorted(equal.items())]
    return SummarisedFilters(columns, " AND ".join(where + ([f"manad = '{month}'"] if month else [])))


def summarised_filters(sql: str, params) -> SummarisedFilters | None:
    """The filters of a ledger page's query when they are all it has and a summary holds their
    figures (TOTALS_BY), else None."""
    return _summarised(_FILTERED.search(sql), params)


def summarised_count(sql: str, params) -> SummarisedFilters | None:
    """As summarised_filters(), for a count of the page's rows (the whole query)."""
    return _summarised(_FILTERED_COUNT.fullmatch(sql), params)


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
