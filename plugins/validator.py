"""/validera: a publisher uploads its ledger and gets `openup validate`'s report, in Swedish.

/validera shows the form and, posted to, the report; /validera.json answers the same report as
JSON; /validera.csv answers the file converted to the specification's columns (masked).

Nothing uploaded is kept: the file lives in a temporary folder that is removed when the request
ends, and nothing about it is logged. The file is read by `python -m openup validate` in a child
process with a time and memory limit, so a hostile file costs at most that; only a few files are
read at once, and the instance's databases are never opened for writing.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import sys
import tempfile
from pathlib import Path

from datasette import Response, hookimpl
from openup.periods import month_ranges

from .uploads import FIELD, UploadRefused, receive_upload

ROUTES = ("/validera", "/validera.json", "/validera.csv")
DEFAULTS = {"max_bytes": 50 * 10**6, "seconds": 60, "at_once": 2, "memory_bytes": 2 * 2**30}
_CHUNK = 256 * 1024


def settings(datasette) -> dict:
    """The limits, from the plugin's configuration (`openup-validera` in metadata.yml) or defaults."""
    return {**DEFAULTS, **(datasette.plugin_config("openup-validera") or {})}


@hookimpl
def skip_csrf(scope):
    # The validator writes nothing and sets no cookie, so a forged post gains nothing; scripts post
    # files to /validera.json without a form's token.
    return scope["path"] in ROUTES


@hookimpl
def register_routes():
    return [(r"^/validera(?P<format>\.json|\.csv)?$", validator)]


def _limited(memory_bytes: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    return apply


class _Slots:
    """Uploads read at once, per process: a visitor over the limit is told to come back."""

    def __init__(self):
        self.busy = 0

    def take(self, at_once: int) -> None:
        if self.busy >= at_once:
            raise UploadRefused(429, "för många filer granskas just nu: försök igen om en stund")
        self.busy += 1

    def give_back(self) -> None:
        self.busy -= 1


SLOTS = _Slots()


async def validator(datasette, request):
    answer = request.url_vars.get("format") or ""
    if request.method != "POST":
        if answer:
            return _error(datasette, request, answer, 405, "skicka filen med POST i fältet "
                          f"{FIELD} (multipart/form-data)", {"allow": "POST"})
        return await _page(datasette, request, None)
    limits = settings(datasette)
    try:
        SLOTS.take(limits["at_once"])
    except UploadRefused as refused:
        return _error(datasette, request, answer, refused.status, str(refused), {"retry-after": "10"})
    folder = Path(tempfile.mkdtemp(prefix="validera-"))
    try:
        path = await receive_upload(request, folder, limits["max_bytes"])
        report = await _validate(path, folder / "konverterad.csv" if answer == ".csv" else None, limits)
    except UploadRefused as refused:
        shutil.rmtree(folder, ignore_errors=True)
        return _error(datasette, request, answer, refused.status, str(refused))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        SLOTS.give_back()
    if answer == ".csv":
        return _ConvertedDownload(folder, path.stem)
    shutil.rmtree(folder, ignore_errors=True)
    if answer == ".json":
        return Response.json({"ok": True, **report})
    return await _page(datasette, request, report)


async def _validate(path: Path, converted: Path | None, limits: dict) -> dict:
    """`openup validate --json` on path in a child process, within the time and memory limits."""
    command = [sys.executable, "-m", "openup", "validate", "--json",  # run in the file's folder, so
               *(["--convert", converted.name] if converted else []), path.name]  # messages name the file alone
    child = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, preexec_fn=_limited(limits["memory_bytes"]),
        cwd=path.parent, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    try:
        output, _ = await asyncio.wait_for(child.communicate(), limits["seconds"])
    except asyncio.TimeoutError:
        child.kill()
        await child.wait()
        raise UploadRefused(400, f"filen tog längre tid än {limits['seconds']} sekunder att granska: "
                                 "dela upp den, till exempel en fil per månad") from None
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    try:
        if child.returncode in (0, 1):
            return json.loads(output)[0]
    except ValueError:
        pass
    raise UploadRefused(400, "filen kunde inte granskas: den kräver mer minne än granskningen får "
                             "använda, eller är trasig på ett sätt granskningen inte känner igen")


def _error(datasette, request, answer: str, status: int, message: str, headers: dict | None = None):
    if answer:
        return Response.json({"ok": False, "status": status, "error": message}, status=status, headers=headers)
    return _PageError(datasette, request, status, message, headers)


class _PageError:
    """The form again, with what went wrong, under the error's status."""

    def __init__(self, datasette, request, status: int, message: str, headers: dict | None):
        self.datasette, self.request, self.status = datasette, request, status
        self.message, self.headers = message, headers or {}

    async def asgi_send(self, send) -> None:
        page = await _page(self.datasette, self.request, None, self.message)
        page.status = self.status
        page.headers.update(self.headers)
        await page.asgi_send(send)


async def _page(datasette, request, report: dict | None, error: str | None = None) -> Response:
    limits = settings(datasette)
    return Response.html(await datasette.render_template("validera.html", {
        "rapport": report, "fel": error, "max_mb": limits["max_bytes"] // 10**6, "max_bytes": limits["max_bytes"], "faltnamn": FIELD,
        "json_url": datasette.absolute_url(request, "/validera.json"), "month_ranges": month_ranges,
        "specifikation": (datasette.plugin_config("openup-dcat") or {}).get("specification"),
    }, request=request))


class _ConvertedDownload:
    """The converted file, sent a chunk at a time; its folder is removed when the response ends."""

    def __init__(self, folder: Path, stem: str):
        self.folder, self.stem = folder, stem

    async def asgi_send(self, send) -> None:
        try:
            name = f"{self.stem}_nationell_specifikation.csv".encode("ascii", "replace").decode().replace("?", "_")
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", b"text/csv; charset=utf-8"),
                (b"content-disposition", f'attachment; filename="{name}"'.encode())]})
            with (self.folder / "konverterad.csv").open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
