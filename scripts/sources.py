"""Opening a published file: what it is (CSV, XLSX, JSON), its encoding, and its rows.

A file is read as one or more *candidate tables* (a CSV with each plausible delimiter, an
XLSX sheet by sheet); recognise.py picks the candidate whose header fits a profile.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import ijson
from charset_normalizer import from_bytes

from .errors import FileRefused
from .rawframes import RawBatch, csv_frames, from_records, reads_lines_itself

Row = tuple[int, list[str]]  # (line, sheet row or object number; the fields as text)
Rows = tuple[Sequence[int], list[list[str]]]  # consecutive rows: their locations and their fields

RECORDS_PER_BATCH = 50_000  # records read by Python made into one frame
_HEAD_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_DELIMITERS = (";", ",", "\t")
_JSON_READ_CHARS = 256 * 1024  # characters of a JSON file decoded and handed to the parser at a time
_LEGACY_ENCODINGS = ["cp1252", "cp850"]
# A spreadsheet's XML packs 5 to 30 times smaller; a zip bomb thousands of times. The largest
# sheet Excel can save (1,048,576 rows of a ledger's 15 columns) unpacks to about 1 GiB.
MAX_XLSX_UNPACKED = 2 * 2**30
_MAX_UNPACK_RATIO = 200
_SMALL_PART = 1 * 2**20  # parts smaller than this are never a bomb, however well they pack
_FEW_CELLS = 1_000_000  # a sheet may declare this many cells whatever its size
_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml")
_DIMENSION = re.compile(r'<(?:\w+:)?dimension\s+ref="([^"]+)"')
_CELL_RANGE = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,7}):\$?([A-Z]{1,3})\$?([0-9]{1,7})")


@dataclass
class Candidate:
    label: str  # the delimiter or the sheet name
    rows: Callable[[], Iterator[Row]]
    where: Callable[[int], int | str]  # a location as shown in messages
    # The same rows, `size` at a time; by default gathered from rows()
    batches: Callable[[int], Iterator[Rows]] | None = None
    joiner: str = ";"  # between the fields of a record, as it is shown
    # The records after the header (its location) as frames of the header's width; by default
    # made from batches()
    frames: Callable[[int, int], Iterator[RawBatch]] | None = None

    def __post_init__(self):
        if self.batches is None:
            self.batches = self._gathered
        if self.frames is None:
            self.frames = self._framed

    def _gathered(self, size: int) -> Iterator[Rows]:
        rows = self.rows()
        while chunk := list(islice(rows, size)):
            locations, fields = zip(*chunk)
            yield locations, list(fields)

    def _framed(self, header_at: int, width: int) -> Iterator[RawBatch]:
        for locations, records in self.batches(RECORDS_PER_BATCH):
            if locations[0] <= header_at:  # the header and what stands above it
                after = sum(1 for location in locations if location <= header_at)
                locations, records = locations[after:], records[after:]
            if records:
                yield from_records(locations, records, width, self.joiner)


@dataclass
class Source:
    path: Path
    format: str
    sha256: str
    encoding: str | None
    candidates: list[Candidate]


@dataclass
class _Bytes:
    sha256: str
    utf8: bool  # valid UTF-8
    bare_carriage_returns: bool  # a \r not before \n: a line end the csv module alone reads as one


def _read_bytes(path: Path) -> _Bytes:
    """The file's digest (hashed in a thread: hashlib lets go of the GIL) and what its bytes say
    of its encoding and line ends."""
    digest, decoder, valid = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")(), True
    bare, last = 0, b""
    with path.open("rb") as handle, ThreadPoolExecutor(1) as hasher:
        hashed = None
        while chunk := handle.read(_CHUNK):
            if hashed is not None:
                hashed.result()
            hashed = hasher.submit(digest.update, chunk)
            if b"\r" in chunk or last == b"\r":
                bare += chunk.count(b"\r") - chunk.count(b"\r\n") - (last == b"\r" and chunk[:1] == b"\n")
            last = chunk[-1:]
            if valid:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    valid = False
        if hashed is not None:
            hashed.result()
    if valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False
    return _Bytes(digest.hexdigest(), valid, bare > 0)


def _text_encoding(path: Path, head: bytes, utf8_valid: bool) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise FileRefused(str(path), "filen är binär (innehåller NUL-tecken), inte text")
    if utf8_valid:
        return "utf-8"
    guess = from_bytes(head, cp_isolation=_LEGACY_ENCODINGS).best()
    if guess is None:
        raise FileRefused(str(path), "okänd teckenkodning: varken UTF-8, UTF-16 eller cp1252")
    return guess.encoding


def _refuse_markup_and_binary(path: Path, text: str) -> None:
    start = text.lstrip()[:200].casefold()
    if start.startswith(("<!doctype html", "<html")) or "<html" in start:
        raise FileRefused(str(path), "filen är en HTML-sida (en felsida sparad som datafil?), "
                                     "inte en leverantörsreskontra", line=1)
    if start.startswith(("<?xml", "<rdf", "<")):
        raise FileRefused(str(path), "filen är XML/RDF, inte CSV, XLSX eller JSON", line=1)
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\r\n")
    if controls > len(text) / 100:
        raise FileRefused(str(path), "filen ser binär ut (kontrolltecken), inte som text")


def open_source(path: Path) -> Source:
    """Inspect path and return its candidate tables; refuse what is not a ledger file."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if not head.strip():
        raise FileRefused(str(path), "filen är tom")
    read = _read_bytes(path)
    sha256 = read.sha256
    if head.startswith(b"PK\x03\x04") or path.suffix.casefold() in (".xlsx", ".xlsm"):
        return Source(path, "xlsx", sha256, None, _xlsx_candidates(path))
    encoding = _text_encoding(path, head, read.utf8)
    text = head.decode(encoding, errors="replace")
    _refuse_markup_and_binary(path, text)
    if text.lstrip("\ufeff \r\n\t").startswith(("[", "{")):
        return Source(path, "json", sha256, encoding, [_json_candidate(path, encoding)])
    lines_split_by_polars = reads_lines_itself(encoding, read.bare_carriage_returns)
    return Source(path, "csv", sha256, encoding,
                  [_csv_candidate(path, encoding, d, lines_split_by_polars) for d in _DELIMITERS])


def _csv_candidate(path: Path, encoding: str, delimiter: str, lines_split_by_polars: bool) -> Candidate:
    def rows() -> Iterator[Row]:
        with path.open(encoding=encoding, newline="", errors="strict") as handle:
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            start = 1
            try:
                for fields in reader:  # empty lines too: a load counts them
                    yield start, fields
                    start = reader.line_num + 1
            except csv.Error as error:
                raise FileRefused(str(path), f"felaktig citering ({error}): ett citattecken "
                                  "som inte avslutas eller står mitt i ett fält", line=start) from None
            except UnicodeDecodeError as error:
                raise FileRefused(str(path), f"tecken som inte kan läsas som {encoding}: "
                                  f"{error.reason}", line=reader.line_num + 1) from None

    def batches(size: int) -> Iterator[Rows]:
        """rows(), read by the csv module `size` records at a time with no Python per record:
        a record's line is counted from the lines before it (a field may hold line breaks)."""
        with path.open(encoding=encoding, newline="", errors="strict") as handle:
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            start = 1
            while True:
                try:
                    records = list(islice(reader, size))
                except (csv.Error, UnicodeDecodeError):
                    yield from _gathered_from(rows(), start)  # raises the error, with its record's line
                    raise AssertionError("rows() read what the batch could not") from None
                if not records:
                    return
                read_to = reader.line_num
                if read_to - start + 1 == len(records):  # one line per record
                    yield range(start, read_to + 1), records
                else:
                    yield _record_lines(records, start, read_to), records
                start = read_to + 1

    def frames(header_at: int, width: int) -> Iterator[RawBatch]:
        return csv_frames(path, encoding, delimiter, header_at, width)

    return Candidate(delimiter, rows, lambda line: line, batches, delimiter,
                     frames if lines_split_by_polars else None)


def _gathered_from(rows: Iterator[Row], start: int) -> Iterator[Rows]:
    """The rows from line start on (reading the file again from its beginning), as one batch,
    then rows()'s error. One batch, not one per record: a batch is normalised as a whole, and a
    bad character 4,500 lines into a file took a minute to refuse at a batch per record."""
    locations, records = [], []
    try:
        for location, fields in rows:
            if location >= start:
                locations.append(location)
                records.append(fields)
    except FileRefused:
        if records:
            yield locations, records
        raise


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _record_lines(records: list[list[str]], start: int, read_to: int) -> list[int]:
    """The first line of each record, where some fields hold line breaks (as the file
    iterator splits lines: \\r\\n, \\r or \\n)."""
    lines = []
    for fields in records:
        lines.append(start)
        start += 1 + sum(len(_LINE_BREAK.findall(field)) for field in fields if "\n" in field or "\r" in field)
    if start != read_to + 1:
        raise AssertionError(f"records end on line {start - 1}, the reader on {read_to}")
    return lines


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _refuse_out_of_proportion(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb before anything is unpacked: parts that unpack to far more than a
    spreadsheet's XML does, or a sheet declaring far more cells than its XML could hold (the
    reader would make every declared cell)."""
    unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > MAX_XLSX_UNPACKED:
        raise FileRefused(str(path), f"xlsx-filen packas upp till {unpacked // 2**20} MiB, över gränsen "
                                     f"{MAX_XLSX_UNPACKED // 2**20} MiB: dela upp den eller spara som CSV")
    for member in archive.infolist():
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _SMALL_PART and ratio > _MAX_UNPACK_RATIO:
            raise FileRefused(str(path), f"xlsx-filens del {member.filename} packas upp {ratio:.0f} gånger "
                                         "större än den är packad, vilket ingen verklig tabell gör (en zip-bomb?)")
        if _WORKSHEET.fullmatch(member.filename):
            with archive.open(member) as part:
                dimension = _DIMENSION.search(part.read(_HEAD_BYTES).decode("utf-8", "replace"))
            cells = _declared_cells(dimension[1]) if dimension else 0
            if cells > max(_FEW_CELLS, member.file_size):
                raise FileRefused(str(path), f"bladet {member.filename} anger {cells} celler men innehåller "
                                             f"{member.file_size} byte: fler celler än filen kan ha")


def _declared_cells(reference: str) -> int:
    """The cells of a range like 'A1:XFD1048576'."""
    match = _CELL_RANGE.fullmatch(reference.upper())
    if not match:
        return 0
    first_column, first_row, last_column, last_row = match.groups()
    width = _column_number(last_column) - _column_number(first_column) + 1
    return max(width, 0) * max(int(last_row) - int(first_row) + 1, 0)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _xlsx_candidates(path: Path) -> list[Candidate]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as archive:
            _refuse_out_of_proportion(path, archive)
            if not {"[Content_Types].xml", "xl/workbook.xml"} <= set(archive.namelist()):
                raise FileRefused(str(path), "filen är ett zip-arkiv men ingen xlsx-fil (Excel-arbetsbok): "
                                             "spara den som .xlsx eller CSV")
            if archive.testzip() is not None:
                raise zipfile.BadZipFile("checksum")
        # Opened from a file object: openpyxl then reads a workbook whatever its name ends in.
        with path.open("rb") as handle:
            workbook = load_workbook(handle, read_only=True, data_only=True)
            names = workbook.sheetnames
            workbook.close()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileRefused(str(path), f"trasig eller trunkerad xlsx-fil ({error})") from None

    def sheet_candidate(name: str) -> Candidate:
        def rows() -> Iterator[Row]:
            with path.open("rb") as handle:
                book = load_workbook(handle, read_only=True, data_only=True)
                try:
                    for number, values in enumerate(book[name].iter_rows(values_only=True), start=1):
                        yield number, [_cell_text(v) for v in values]
                finally:
                    book.close()

        return Candidate(name, rows, lambda row: f"blad '{name}' rad {row}")

    return [sheet_candidate(n) for n in names]


def _json_candidate(path: Path, encoding: str) -> Candidate:
    """The objects of a JSON list or rowstore page, streamed (ijson) so memory stays flat
    however large the file: once for the union of their keys (the header), once for the rows."""
    prefix = _json_objects_prefix(path, encoding)
    keys: dict[str, None] = {}
    for _, item in _json_objects(path, encoding, prefix):
        keys.update(dict.fromkeys(item))
    header = list(keys)

    def rows() -> Iterator[Row]:
        yield 0, header
        for number, item in _json_objects(path, encoding, prefix):
            yield number, [_cell_text(item.get(k)) for k in header]

    return Candidate("json", rows, lambda number: f"objekt {number}")


def _json_events(path: Path, encoding: str, parser: Callable) -> Iterator:
    """What the ijson coroutine parser(target) finds in the file, as the file is read. The text
    is decoded here and pushed to ijson as UTF-8, so every encoding we detect is read alike."""
    found = ijson.sendable_list()
    parsing = parser(found)
    with path.open(encoding=encoding, newline="") as handle:  # the codec drops a byte order mark
        while text := handle.read(_JSON_READ_CHARS):
            try:
                parsing.send(text.encode("utf-8"))
            finally:  # what came before an error, then the error
                yield from found
                del found[:]
    try:
        parsing.close()  # an unfinished document is refused here
    finally:
        yield from found


def _json_objects_prefix(path: Path, encoding: str) -> str:
    """Where the objects are: "item" of a list, or "results.item" of a rowstore page."""
    try:
        for prefix, event, _ in _json_events(path, encoding, ijson.parse_coro):
            if (prefix, event) == ("", "start_array"):
                return "item"
            if (prefix, event) == ("results", "start_array"):
                return "results.item"
            if (prefix, event) == ("", "end_map"):
                break
    except ijson.JSONError as error:
        raise _invalid_json(path, error, 1) from None
    raise FileRefused(str(path), 'väntade en lista av objekt eller {"results": [...]}')


def _json_objects(path: Path, encoding: str, prefix: str) -> Iterator[tuple[int, dict]]:
    number = 0
    try:
        objects = _json_events(path, encoding, lambda found: ijson.items_coro(found, prefix, use_float=True))
        for number, item in enumerate(objects, start=1):
            if not isinstance(item, dict):
                raise FileRefused(str(path), "väntade ett objekt", line=f"objekt {number}")
            yield number, item
    except ijson.JSONError as error:
        raise _invalid_json(path, error, number + 1) from None


def _invalid_json(path: Path, error: ijson.JSONError, number: int) -> FileRefused:
    message = error.args[0] if error.args else ""
    if isinstance(message, bytes):  # the C parser's own words
        message = message.decode("utf-8", "replace")
    reason = message.strip().splitlines()[0] if message.strip() else "filen tar slut för tidigt"
    return FileRefused(str(path), f"ogiltig JSON: {reason}", line=f"objekt {number}")