"""Each indicator's hits with its default parameters, computed once per version of the database.

On ten million rows some indicators read millions of invoices (seconds, past the SQL time limit
of a request). They are computed once, without the request time limit (in the background from
startup when the instance is served), and every filter (kopare, ar) and page is answered from
memory. Other parameter values are computed per request, within the time limit.
"""

from __future__ import annotations

from ..ledger import ledger_database, once_per_version
from .indicator import Indicator
from .indicators import INDICATORS

_ALL = {"kopare": "", "ar": ""}


def _run(conn, indicator: Indicator) -> list[dict]:
    cursor = conn.execute(indicator.sql, {**_ALL, **indicator.arguments({})})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


async def default_hits(database, indicator: Indicator) -> list[dict]:
    """Every hit of indicator with its default parameters, all buyers and years."""
    return await once_per_version(database, f"indicator:{indicator.slug}",
                                  lambda: database.execute_fn(lambda conn: _run(conn, indicator)))


async def warm(datasette) -> None:
    """Compute every indicator in turn, so that visitors find them ready."""
    database = await ledger_database(datasette)
    if database is not None:
        for indicator in INDICATORS.values():
            await default_hits(database, indicator)
