"""An error answered by an ASGI wrapper, before Datasette sees the request, in the JSON body
Datasette's own errors have ({"ok": false, "error": …, "status": …})."""

from __future__ import annotations

import json


async def send_error(send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"ok": False, "status": status, "error": message}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json; charset=utf-8"),
        *((name.encode(), value.encode()) for name, value in (headers or {}).items())]})
    await send({"type": "http.response.body", "body": body})
