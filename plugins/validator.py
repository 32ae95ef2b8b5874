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
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from datasette import Response, hookimpl
from openup.cli import MEMORY_LIMIT
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


class _Slots:
    """Files checked at once, per process: a visitor over the limit is told to come back."""

    def __init__(self):
        self.busy = 0

    @contextmanager
    def taken(self, at_once: int):
        if self.busy >= at_once:
            raise UploadRefused(429, "för många filer granskas just nu: försök igen om en stund",
                                {"retry-after": "10"})
        self.busy += 1
        try:
            yield
        finally:
            self.busy -= 1


SLOTS = _Slots()


async def validator(datasette, request):
    answer = request.url_vars.get("format") or ""
    if request.method != "POST":
        if answer:
            return _error(datasette, request, answer, UploadRefused(
                405, f"skicka filen med POST i fältet {FIELD} (multipart/form-data)", {"allow": "POST"}))
        return await _page(datasette, request, None)
    limits = settings(datasette)
    folder = Path(tempfile.mkdtemp(prefix="validera-"))
    try:
        (folder / "uppladdad").mkdir()
        try:
            upload = await asyncio.wait_for(receive_upload(request, folder / "uppladdad", limits["max_bytes"]),
                                            limits["seconds"])
        except asyncio.TimeoutError:
            raise UploadRefused(400, f"uppladdningen tog längre tid än {limits['seconds']} sekunder") from None
        with SLOTS.taken(limits["at_once"]):
            report = await _validate(upload, folder / "konverterad.csv" if answer == ".csv" else None, limits)
    except UploadRefused as refused:
        shutil.rmtree(folder, ignore_errors=True)
        return _error(datasette, request, answer, refused)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if answer == ".csv" and report["godtagbar"]:
        return _ConvertedDownload(folder, upload.stem)
    shutil.rmtree(folder, ignore_errors=True)
    if answer == ".json":
        return Response.json({"ok": True, **report})
    page = await _page(datasette, request, report)
    page.status = 422 if answer == ".csv" else 200  # no conversion of a refused file: the page says why
    return page


async def _validate(path: Path, converted: Path | None, limits: dict) -> dict:
    """`openup validate --json` on path in a child process, within the time and memory limits.
    It runs in the file's folder and is given the name alone (after `--`, so a name starting
    with a dash is no option), so that its messages name the file, not the temporary folder."""
    command = [sys.executable, "-m", "openup", "validate", "--json",
               *(["--convert", str(converted)] if converted else []), "--", path.name]
    child = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, cwd=path.parent,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", MEMORY_LIMIT: str(limits["memory_bytes"])})
    try:
        output, _ = await asyncio.wait_for(child.communicate(), limits["seconds"])
    except asyncio.TimeoutError:
        raise UploadRefused(400, f"filen tog längre tid än {limits['seconds']} sekunder att granska: "
                                 "dela upp den, till exempel en fil per månad") from None
    finally:
        if child.returncode is None:  # timed out, or the visitor left
            child.kill()
            await child.wait()
    try:
        if child.returncode in (0, 1):
            return json.loads(output)[0]
    except ValueError:
        pass
    raise UploadRefused(400, "granskningen av filen avbröts: den krävde mer minne än granskningen får "
                             "använda, eller gick fel på ett sätt den inte känner igen")


def _error(datasette, request, answer: str, refused: UploadRefused):
    if answer:
        return Response.json({"ok": False, "status": refused.status, "error": str(refused)},
                             status=refused.status, headers=refused.headers)
    return _PageError(datasette, request, refused.status, str(refused), refused.headers)


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
        "rapport": report, "fel": error, "max_bytes": limits["max_bytes"], "faltnamn": FIELD,
        "json_url": datasette.absolute_url(request, "/validera.json"), "month_ranges": month_ranges,
        "specifikation": (datasette.plugin_config("openup-dcat") or {}).get("specification"),
    }, request=request))


class _ConvertedDownload:
    """The converted file, sent a chunk at a time; its folder is removed when the response ends."""

    def __init__(self, folder: Path, stem: str):
        self.folder, self.stem = folder, stem

    async def asgi_send(self, send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", b"text/csv; charset=utf-8"),
                (b"content-disposition", _attachment(f"{self.stem}_nationell_specifikation.csv").encode())]})
            with (self.folder / "konverterad.csv").open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _attachment(name: str) -> str:
    """A Content-Disposition naming a download: plain ASCII for old clients, the name itself
    percent-encoded (RFC 6266), so no character of an uploaded name can end the header's value."""
    plain = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
