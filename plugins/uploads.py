"""Receiving one uploaded file into a temporary folder, a chunk at a time, never more than a limit.

A browser's form sends multipart/form-data (the file in the field `fil`); a script may send the
file as the body itself, naming it with ?filnamn=. Either way only the file's bytes reach the
disk, the body is never held in memory whole, and a body over the limit is refused as soon as
it passes it (or at once, when its Content-Length says so).
"""

from __future__ import annotations

from pathlib import Path, PurePath

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

FIELD = "fil"
_MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file


class UploadRefused(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.headers = status, headers or {}


_NAME_BYTES = 120  # well within any file system's 255


def _safe_name(name: str) -> str:
    """The file's own name without folders, as the report shows it ('fil' if it has none),
    short enough to be a file name: its stem is cut, its (short) suffix kept."""
    base = PurePath(name.replace("\\", "/")).name.strip().lstrip(".")
    base = "".join(c for c in base if c.isprintable() and c not in "/\x00")
    stem, dot, suffix = base.rpartition(".")
    if not dot or len(suffix) > 8:  # no suffix, or none that names a format
        stem, dot, suffix = base, "", ""
    room = _NAME_BYTES - len((dot + suffix).encode())
    stem = stem.encode()[:room].decode("utf-8", "ignore")
    return (stem + dot + suffix) if stem else "fil" + dot + suffix


def too_large(limit: int) -> UploadRefused:
    return UploadRefused(413, f"filen är större än gränsen {limit // 10**6} MB: dela upp den, till "
                              "exempel en fil per månad")


async def receive_upload(request, folder: Path, limit: int) -> Path:
    """The uploaded file, written into folder; UploadRefused (413, 400) if it cannot be."""
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > limit + _MULTIPART_OVERHEAD:
        raise too_large(limit)
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type == b"multipart/form-data" and not options.get(b"boundary"):
        raise UploadRefused(400, "multipart/form-data utan boundary")
    writer = None
    try:
        if content_type == b"multipart/form-data":
            writer = _MultipartFile(folder, options[b"boundary"], limit)
        else:
            writer = _PlainFile(folder / _safe_name(request.args.get("filnamn", "fil")), limit)
        await _receive_into(request, writer)
        return writer.finish()
    except OSError:  # a full disk; never the temporary path in the answer
        raise UploadRefused(400, "filen kunde inte tas emot just nu: försök igen senare") from None
    finally:
        if writer is not None:
            writer.close()


async def _receive_into(request, writer) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise UploadRefused(400, "uppladdningen avbröts")
        writer.write(message.get("body", b""))
        if not message.get("more_body"):
            return


class _PlainFile:
    def __init__(self, path: Path, limit: int):
        self.path, self.limit, self.size = path, limit, 0
        self.handle = path.open("wb")

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise too_large(self.limit)
        self.handle.write(data)

    def finish(self) -> Path:
        return self.path  # an empty file too: the report says it is empty

    def close(self) -> None:
        self.handle.close()


class _MultipartFile:
    """The part named FIELD of a multipart body, written as it is parsed; other parts ignored."""

    def __init__(self, folder: Path, boundary: bytes, limit: int):
        self.folder, self.limit = folder, limit
        self.file: _PlainFile | None = None
        self.found: _PlainFile | None = None
        self.headers: dict[bytes, bytes] = {}
        self.header = [b"", b""]
        self.parser = MultipartParser(boundary, {
            "on_part_begin": self._part_begins, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished, "on_part_data": self._data,
            "on_part_end": self._part_ends}, max_size=limit + _MULTIPART_OVERHEAD)

    def write(self, data: bytes) -> None:
        try:
            self.parser.write(data)
        except MultipartParseError as error:
            raise UploadRefused(400, f"felaktig multipart/form-data: {error}") from None

    def finish(self) -> Path:
        self.parser.finalize()
        if self.found is None:
            raise UploadRefused(400, f"ingen fil i fältet {FIELD}: välj en fil att granska")
        return self.found.finish()

    def close(self) -> None:
        for file in (self.file, self.found):
            if file is not None:
                file.close()

    def _part_begins(self) -> None:
        self.headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self.header[0] += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self.header[1] += data[start:end]

    def _header_end(self) -> None:
        self.headers[self.header[0].lower()] = self.header[1]
        self.header = [b"", b""]

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        # A form whose file input was left empty sends the field with an empty file name.
        if options.get(b"name") == FIELD.encode() and options.get(b"filename") and self.found is None:
            name = options[b"filename"].decode("utf-8", "replace")
            self.file = _PlainFile(self.folder / _safe_name(name), self.limit)

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self.file is not None:
            self.file.write(data[start:end])

    def _part_ends(self) -> None:
        if self.file is not None:
            self.file.close()
            self.found, self.file = self.file, None
