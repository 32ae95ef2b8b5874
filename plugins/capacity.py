"""Pages that never queue behind arbitrary SQL.

Datasette runs every query on a few SQL threads. Ad hoc SQL (`?sql=`) may use only some of them
at once, so the pages always find a free thread; a query that waits too long for its turn gets
429.
"""

from __future__ import annotations

import asyncio

from datasette import hookimpl

from .asgi_errors import send_error

AD_HOC_SQL_AT_ONCE = 2  # of the instance's num_sql_threads
WAIT_FOR_TURN_S = 10


def is_ad_hoc_sql(scope) -> bool:
    query = scope.get("query_string", b"")
    return query.startswith(b"sql=") or b"&sql=" in query


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        turns = None

        async def sharing_the_sql_threads(scope, receive, send):
            nonlocal turns
            if scope["type"] != "http" or not is_ad_hoc_sql(scope):
                return await app(scope, receive, send)
            turns = turns or asyncio.Semaphore(AD_HOC_SQL_AT_ONCE)
            try:
                await asyncio.wait_for(turns.acquire(), WAIT_FOR_TURN_S)
            except asyncio.TimeoutError:
                return await send_error(send, 429, "för många SQL-frågor körs just nu: försök igen om en stund, "
                                        "eller använd tabellerna och de sparade frågorna", {"retry-after": "5"})
            try:
                await app(scope, receive, send)
            finally:
                turns.release()
        return sharing_the_sql_threads
    return wrap
