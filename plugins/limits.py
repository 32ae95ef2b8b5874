"""What keeps one visitor from taking the instance down: bounds on what a query may allocate,
bad parameters answered 400 rather than 500, and streams that stop when their client goes.

Datasette's own routes raise ValueError, TypeError or OverflowError on some malformed
parameters (`_timelimit=abc`, `_through=null`, a `__gte` of 100 digits); those are answered as
the client's error, through Datasette's own error page, never by patching Datasette.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import traceback
from pathlib import Path
from urllib.parse import parse_qs

import datasette as datasette_package
from datasette import hookimpl
from datasette.handle_exception import handle_exception as render_error
from datasette.views.base import DatasetteError
from datasette.utils import tilde_decode
from datasette.utils.asgi import BadRequest, Response

MAX_VALUE_BYTES = 16 * 1024 * 1024  # the longest string or blob any query may build
MAX_SQLITE_HEAP = 512 * 1024 * 1024  # all SQLite's memory in the process
_DATASETTE = str(Path(datasette_package.__file__).parent)
_PARAMETER_ERRORS = (ValueError, TypeError, OverflowError, sqlite3.ProgrammingError)


@hookimpl
def prepare_connection(conn):
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.execute(f"PRAGMA hard_heap_limit = {MAX_SQLITE_HEAP}")


def _raised_in_datasette(exception: BaseException) -> bool:
    """Whether the innermost frame that raised it is Datasette's (not one of our plugins)."""
    frames = traceback.extract_tb(exception.__traceback__)
    return bool(frames) and frames[-1].filename.startswith(_DATASETTE)


@hookimpl
def handle_exception(datasette, request, exception):
    if isinstance(exception, MemoryError):
        message = "frågan kräver mer minne än instansen ger en fråga: begränsa den (LIMIT, WHERE)"
    elif isinstance(exception, DatasetteError) and exception.title == "SQL Interrupted":
        asked = request.args.get("_timelimit", "") if request else ""
        limit = min(int(asked), datasette.setting("sql_time_limit_ms")) if asked.isdecimal() else \
            datasette.setting("sql_time_limit_ms")
        message = (f"frågan avbröts efter tidsgränsen ({limit} ms). "
                   "Summor per köpare, leverantör, konto, förvaltning och månad finns färdiga i "
                   "sammanställningarna (kopare_manad, kopare_leverantor_manad, kopare_konto_manad, "
                   "kopare_forvaltning_manad, leverantorer, fakturor, flaggor): fråga dem i stället för "
                   "varje rad, eller begränsa frågan med WHERE på köpare och datum.")
    elif isinstance(exception, _PARAMETER_ERRORS) and _raised_in_datasette(exception):
        message = f"ogiltig parameter: {exception}"
    elif str(exception).startswith("Cannot sort table by"):
        message = f"kan inte sortera på den kolumnen: {exception}"
    else:
        return None
    return render_error(datasette, request, BadRequest(message))


class ClientGone(Exception):
    """Raised into a response that is still being sent when its client has disconnected."""


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def stopping_when_the_client_goes(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            messages: asyncio.Queue = asyncio.Queue()
            gone = asyncio.Event()

            async def listen():
                while True:
                    message = await receive()
                    await messages.put(message)
                    if message["type"] == "http.disconnect":
                        gone.set()
                        return

            async def sending(message):
                if gone.is_set():
                    raise ClientGone()
                await send(message)

            listener = asyncio.ensure_future(listen())
            try:
                await app(scope, messages.get, sending)
            except ClientGone:
                pass
            finally:
                listener.cancel()
        return stopping_when_the_client_goes
    return wrap


_DATABASE_CSV = re.compile(r"^/[^/]+\.csv$")
_NO_DATABASE_CSV = ("En databas har ingen CSV-fil: lägg till ?sql=… för en fråga, eller hämta en tabells CSV, "
                    "till exempel /{database}/leverantorsreskontra.csv\n")


@hookimpl(specname="asgi_wrapper")
def errors_with_their_status(datasette):
    """Datasette answers some bad parameters (`_shape=AAA`, `_shape=object` on a table without a
    primary key) with its error body under status 200; they get 400, as the body says. A
    database's .csv twin without a query, which Datasette fails on (500), is answered 400."""
    def wrap(app):
        async def error_status(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            database = _DATABASE_CSV.match(scope["path"]) and tilde_decode(scope["path"][1:-len(".csv")])
            if database in datasette.databases and "sql" not in parse_qs(scope.get("query_string", b"").decode()):
                return await Response.text(_NO_DATABASE_CSV.format(database=database), status=400).asgi_send(send)
            held = None

            async def sending(message):
                nonlocal held
                if (message["type"] == "http.response.start" and message["status"] == 200
                        and dict(message.get("headers") or []).get(b"content-type", b"").startswith(b"application/json")):
                    held = message
                    return
                if held is not None:
                    start, held = held, None
                    if message.get("body", b"").startswith(b'{"ok": false'):
                        start = {**start, "status": 400}
                    await send(start)
                await send(message)

            await app(scope, receive, sending)
        return error_status
    return wrap
