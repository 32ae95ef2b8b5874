"""Each indicator's hits with its default parameters, computed once per version of the database.

On ten million rows some indicators read millions of invoices (seconds, past the SQL time limit
of a request). They are computed once, without the request time limit (in the background from
startup when the instance is served), and every filter (kopare, ar) and page is answered from
memory. Other parameter values are computed per request, within the time limit.
"""

from __future__ import annotations

import asyncio

from ..ledger import ledger_database, version
from .indicator import Indicator
from .indicators import INDICATORS

_ALL = {"kopare": "", "ar": ""}
_results: dict[tuple, object] = {}
_running: dict[tuple, asyncio.Future] = {}  # per event loop, so concurrent requests share one run


def _run(conn, indicator: Indicator) -> list[dict]:
    cursor = conn.execute(indicator.sql, {**_ALL, **indicator.arguments({})})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


async def default_hits(database, indicator: Indicator) -> list[dict]:
    """Every hit of indicator with its default parameters, all buyers and years."""
    key = (database.name, indicator.slug, await database.execute_fn(version))
    if key in _results:
        return _results[key]
    running_key = (key, id(asyncio.get_running_loop()))
    if running_key not in _running:
        _running[running_key] = asyncio.ensure_future(
            database.execute_fn(lambda conn: _run(conn, indicator)))
    try:
        rows = await asyncio.shield(_running[running_key])
    finally:
        _running.pop(running_key, None)
    for stale in [k for k in _results if k[:2] == key[:2]]:
        del _results[stale]
    _results[key] = rows
    return rows


async def once_per_version(database, name: str, compute) -> object:
    """compute(), an awaitable's factory, run once per version of the database and kept."""
    key = (database.name, name, await database.execute_fn(version))
    if key not in _results:
        for stale in [k for k in _results if k[:2] == key[:2]]:
            del _results[stale]
        _results[key] = await compute()
    return _results[key]


async def warm(datasette) -> None:
    """Compute every indicator in turn, so that visitors find them ready."""
    database = await ledger_database(datasette)
    if database is not None:
        for indicator in INDICATORS.values():
            await default_hits(database, indicator)
