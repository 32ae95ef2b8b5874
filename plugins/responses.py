"""Rendered pages kept in memory, so that a page many visitors ask for is rendered once.

The databases `openup serve` publishes are immutable while served (a load into a served file is
refused, openup.locks), so a page rendered for one visitor is the page the next one gets.
Datasette's table pages cost tens of milliseconds of Python each; from memory, under one. Where
a file-backed database is mutable (Datasette run on a live file), nothing is kept.

Kept: GET answers, except ad hoc SQL (its own queue, openup_plugins.capacity), with status 200, no cookie set, at most MAX_ENTRY_BYTES, for TTL_S (the
Cache-Control this instance already gives browsers and proxies is an hour; a page rendered while
a facet or a sum ran out of time is not kept longer than this). At most MAX_CACHED_BYTES per
server process, the least recently used page leaving first. Visitors who ask for a page while it
is first rendered wait for that rendering instead of starting their own, until it turns out not
to be kept (a stream past MAX_ENTRY_BYTES, an error). Each answer says X-Cache: HIT or MISS.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass

from datasette import hookimpl

from .capacity import is_ad_hoc_sql

MAX_CACHED_BYTES = 64 * 1024 * 1024
MAX_ENTRY_BYTES = 1024 * 1024
TTL_S = 600


@dataclass
class _Entry:
    messages: list[dict]
    size: int
    kept_at: float


def _key(scope) -> tuple | None:
    if scope["type"] != "http" or scope.get("method") != "GET" or is_ad_hoc_sql(scope):
        return None
    headers = dict(scope.get("headers") or [])
    # DCAT and OpenAPI name the host; the catalog's format follows Accept
    return (scope.get("scheme"), headers.get(b"host"), headers.get(b"accept"), scope.get("root_path", ""),
            scope["path"], scope.get("query_string", b""))


def _with_cache_header(start: dict, value: bytes) -> dict:
    return {**start, "headers": [*start.get("headers", []), (b"x-cache", value)]}


class ResponseCache:
    def __init__(self, app, datasette):
        self.app, self.datasette = app, datasette
        self.entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self.size = 0
        self.rendering: dict[tuple, asyncio.Event] = {}

    async def __call__(self, scope, receive, send) -> None:
        key = _key(scope)
        if key is None or self._serves_a_mutable_file():
            return await self.app(scope, receive, send)
        while (rendering := self.rendering.get(key)) is not None:  # another visitor is rendering it
            await rendering.wait()
        entry = self.entries.get(key)
        if entry and time.monotonic() - entry.kept_at < TTL_S:
            self.entries.move_to_end(key)
            await send(_with_cache_header(entry.messages[0], b"HIT"))
            for message in entry.messages[1:]:
                await send(message)
            return
        if entry:
            self._forget(key)
        await self._render(key, scope, receive, send)

    async def _render(self, key, scope, receive, send) -> None:
        done = self.rendering[key] = asyncio.Event()
        kept: list[dict] | None = []
        size = 0

        def stop_keeping():
            nonlocal kept
            kept = None
            self._rendered(key, done)  # those waiting render it themselves, while this one streams on

        async def keeping(message):
            nonlocal size
            if kept is not None:
                if message["type"] == "http.response.start":
                    headers = dict(message.get("headers", []))
                    if message["status"] != 200 or b"set-cookie" in headers:
                        stop_keeping()
                    else:
                        kept.append(message)
                    message = _with_cache_header(message, b"MISS")
                else:
                    size += len(message.get("body", b""))
                    if size > MAX_ENTRY_BYTES:
                        stop_keeping()
                    else:
                        kept.append(message)
            await send(message)

        try:
            await self.app(scope, receive, keeping)
            if kept and not kept[-1].get("more_body"):  # kept whole: sent again as one body
                body = {"type": "http.response.body", "body": b"".join(m.get("body", b"") for m in kept[1:])}
                self._keep(key, _Entry([kept[0], body], size, time.monotonic()))
        finally:
            self._rendered(key, done)

    def _rendered(self, key, done: asyncio.Event) -> None:
        if self.rendering.get(key) is done:
            del self.rendering[key]
        done.set()

    def _serves_a_mutable_file(self) -> bool:
        return any(db.is_mutable and not db.is_memory for db in self.datasette.databases.values())

    def _keep(self, key, entry: _Entry) -> None:
        self.entries[key] = entry
        self.size += entry.size
        while self.size > MAX_CACHED_BYTES:
            self._forget(next(iter(self.entries)))

    def _forget(self, key) -> None:
        self.size -= self.entries.pop(key).size


@hookimpl(trylast=True)  # the outermost wrapper: a page from memory skips the others' work
def asgi_wrapper(datasette):
    return lambda app: ResponseCache(app, datasette)
