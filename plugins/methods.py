"""Methods a route does not take answer 405 with an Allow header, on every route (Datasette's
own answer TRACE with an error). The published instance is read-only: GET, HEAD and OPTIONS
(CORS preflight) everywhere, POST only on Datasette's own /-/ pages (logging out, debug tools)
and to the validator, which reads an uploaded file and writes nothing."""

from __future__ import annotations

from datasette import hookimpl

from .asgi_errors import send_error
from .validator import ROUTES as UPLOAD_ROUTES

READ = ("GET", "HEAD", "OPTIONS")


def allowed(path: str) -> tuple[str, ...]:
    return (*READ, "POST") if path.startswith("/-/") or path in UPLOAD_ROUTES else READ


@hookimpl(tryfirst=True)  # the innermost wrapper: refused before anything else runs
def asgi_wrapper(datasette):
    def wrap(app):
        async def only_allowed_methods(scope, receive, send):
            if scope["type"] != "http" or scope["method"] in allowed(scope["path"]):
                return await app(scope, receive, send)
            methods = ", ".join(allowed(scope["path"]))
            await send_error(send, 405, f"metoden {scope['method']} stöds inte här; tillåtna: {methods}",
                             {"allow": methods})
        return only_allowed_methods
    return wrap
