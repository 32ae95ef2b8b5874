"""Pages that never queue behind arbitrary SQL.

Datasette runs every query on a few SQL threads. Ad hoc SQL (`?sql=`) may use only some of them
at once, so the pages always find a free thread; a query that waits too long for its turn gets
429.
"""

from __future__ import annotations

import asyncio
import json

from datasette import hookimpl

AD_HOC_SQL_AT_ONCE = 2  # of the instance's num_sql_threads
WAIT_FOR_TURN_S = 10


def is_ad_hoc_sql(scope) -> bool:
    query = scope.get("query_string", b"")
    return query.startswith(b"sql=") or b"&sql=" in query


async def _too_many(send) -> None:
    body = json.dumps({"ok": False, "status": 429, "error": "för många SQL-frågor körs just nu: försök "
                       "igen om en stund, eller använd tabellerna och de sparade frågorna"},
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", b"application/json; charset=utf-8"), (b"retry-after", b"5")]})
    await send({"type": "http.response.body", "body": body})


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
                return await _too_many(send)
            try:
                await app(scope, receive, send)
            finally:
                turns.release()
        return sharing_the_sql_threads
    return wrap
