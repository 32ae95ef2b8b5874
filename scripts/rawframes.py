"""Published records as Polars frames of text: what every reader hands the normaliser.

A frame holds a batch of records, one column `c<i>` per header cell (text as published, "" for
a field the record lacks), `rad` (the record's line, sheet row or object number), `fel` (why
the record cannot be read as a row: a wrong number of fields) and `innehall` (the fields as
published, joined, where they differ from the columns). Lines holding only delimiters or
whitespace are left out and counted.

CSV files are read a block at a time: a block whose lines are all plain by Polars' CSV reader,
any other split into lines by Polars, of which only those holding a quote character go through
the csv module (which also joins a quoted field's line breaks). A file with a bare carriage
return as line end, or in an encoding read only as a whole (UTF-16), is read by the csv module
record by record instead, as XLSX and JSON rows are.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import compress
from pathlib import Path

import polars as pl

from .errors import FileRefused

# Every character Python's str.strip() removes (str.isspace; a test checks it): Polars' own
# whitespace leaves out \x1c-\x1f.
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
              "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
LINE, ERROR, CONTENT = "rad", "fel", "innehall"
_WIDTH_ERROR = "fel antal fält: väntade {}, fick {}"
READ_BYTES = 4 * 2**20  # of the file read at a time: each call into Polars has a cost of its own (2 MiB: 0.5 s more at 1M rows)
_LINE_ENDS_SPLIT_BY_POLARS = frozenset({"utf-8", "utf-8-sig", "cp1252", "cp850", "iso-8859-1", "latin-1",
                                        "windows-1252", "ascii"})


def field(index: int) -> str:
    return f"c{index}"


@dataclass
class RawBatch:
    frame: pl.DataFrame
    empty: int = 0  # lines holding only delimiters or whitespace, left out


def from_records(locations: Sequence[int], records: list[list[str]], width: int, joiner: str) -> RawBatch:
    """A batch of records read by Python (XLSX sheets, JSON objects, some CSV files)."""
    filled = list(map(bool, map(str.strip, map("".join, records))))
    empty = len(records) - sum(filled)
    if empty:
        locations, records = list(compress(locations, filled)), list(compress(records, filled))
    errors: list[str | None] = [None] * len(records)
    contents: list[str | None] = [None] * len(records)
    if set(map(len, records)) - {width}:
        records = list(records)
        for index, fields in enumerate(records):
            if len(fields) == width:
                continue
            contents[index] = joiner.join(fields)
            if len(fields) > width and not any(f.strip() for f in fields[width:]):
                records[index] = fields[:width]  # an empty trailing column
            else:
                errors[index] = _WIDTH_ERROR.format(width, len(fields))
                records[index] = [""] * width
    columns = list(zip(*records)) if records else [()] * width
    return RawBatch(pl.DataFrame(
        [*(pl.Series(field(i), values, dtype=pl.String) for i, values in enumerate(columns)),
         pl.Series(LINE, list(locations), dtype=pl.Int64), pl.Series(ERROR, errors, dtype=pl.String),
         pl.Series(CONTENT, contents, dtype=pl.String)]), empty)


def reads_lines_itself(encoding: str, bare_carriage_returns: bool) -> bool:
    """Whether csv_frames can read a file: one whose lines end in \\n (or \\r\\n) only, in an
    encoding whose \\n is the byte \\n."""
    return not bare_carriage_returns and codecs.lookup(encoding).name in {
        codecs.lookup(name).name for name in _LINE_ENDS_SPLIT_BY_POLARS}


def csv_frames(path: Path, encoding: str, delimiter: str, header_at: int, width: int) -> Iterator[RawBatch]:
    """The records after line header_at, a block of the file at a time. Blocks are UTF-8 bytes:
    a file in UTF-8 (checked whole when it was opened) as it is, others decoded and encoded."""
    blocks = _utf8_blocks(path, encoding)
    pending, first_line = b"", 1  # text not yet split into records, and its first line
    for block, final in blocks:
        pending += block
        if final:
            text, pending = pending, b""
        else:  # the last line goes on in the next block
            cut = pending.rfind(b"\n") + 1
            text, pending = pending[:cut], pending[cut:]
        if not text:
            continue
        simple = _simple_block(text, first_line, delimiter, header_at, width)
        if simple is not None:
            first_line += text.count(b"\n") + (not text.endswith(b"\n"))
            if simple.frame.height:
                yield simple
            continue
        lines = pl.Series("text", [text.removesuffix(b"\n")], dtype=pl.Binary).cast(pl.String).str.split("\n").explode()
        parsed, taken = _quoted_records(path, lines, first_line, delimiter, final=final)
        if taken < lines.len():  # a quoted field goes on in the next block
            pending = "\n".join(lines.slice(taken).to_list()).encode("utf-8") + b"\n" + pending
        batch = _frame(lines.slice(0, taken), parsed, first_line, delimiter, header_at, width)
        first_line += taken
        if batch.frame.height or batch.empty:
            yield batch


def _utf8_blocks(path: Path, encoding: str) -> Iterator[tuple[bytes, bool]]:
    """(block of the file in UTF-8, whether it is the last), READ_BYTES at a time."""
    utf8 = codecs.lookup(encoding).name == "utf-8"
    decoder = None if utf8 else codecs.getincrementaldecoder(encoding)(errors="strict")
    lines_before = 0
    with path.open("rb") as handle:
        block = handle.read(READ_BYTES).removeprefix(codecs.BOM_UTF8 if encoding == "utf-8-sig" else b"")
        while True:
            final = not block
            if decoder is not None:
                try:
                    text = decoder.decode(block, final=final).encode("utf-8")
                except UnicodeDecodeError as error:
                    raise FileRefused(str(path), f"tecken som inte kan läsas som {encoding}: {error.reason}",
                                      line=1 + lines_before + block[:error.start].count(b"\n")) from None
                lines_before += block.count(b"\n")
            else:
                text = block
            yield text, final
            if final:
                return
            block = handle.read(READ_BYTES)


def _simple_block(text: bytes, first_line: int, delimiter: str, header_at: int, width: int) -> RawBatch | None:
    """The records of a block whose lines are all plain (no quote character, no empty line, the
    header's number of fields) read by Polars' CSV reader, or None for any other block."""
    if b'"' in text:
        return None
    start, line = 0, first_line
    while line <= header_at:  # the header and what stands above it
        start = text.find(b"\n", start) + 1
        if not start:
            return None
        line += 1
    body = text[start:]
    if not body:
        return RawBatch(pl.DataFrame())
    count = body.count(b"\n") + (not body.endswith(b"\n"))
    if body.count(delimiter.encode()) != (width - 1) * count:
        return None
    try:
        frame = pl.read_csv(body, has_header=False, separator=delimiter, quote_char=None,
                            schema={field(i): pl.String for i in range(width)})
    except pl.exceptions.PolarsError:  # a line of more fields than the header
        return None
    if frame.height != count:  # Polars leaves out empty lines
        return None
    last = field(width - 1)
    frame = frame.with_columns(pl.all().fill_null(""))
    if b"\r" in body:
        frame = frame.with_columns(pl.col(last).str.strip_suffix("\r"))
    blank = [pl.col(name).str.strip_chars(WHITESPACE) == "" for name in frame.columns]
    if frame.select(blank[0].any()).item() and frame.select(pl.all_horizontal(blank).any()).item():
        return None  # a line of only delimiters and whitespace, left out and counted elsewhere
    return RawBatch(frame.with_columns(pl.int_range(line, line + count, dtype=pl.Int64).alias(LINE),
                                       pl.lit(None, pl.String).alias(ERROR), pl.lit(None, pl.String).alias(CONTENT)))


def _quoted_records(path: Path, lines: pl.Series, first_line: int, delimiter: str, final: bool):
    """The records of the lines holding a quote character, read by the csv module: {index of
    its first line: fields, or None for the lines a quoted field joins to it}; and how many
    lines are read (fewer than all when the last record goes on after them)."""
    parsed: dict[int, list[str] | None] = {}
    for index in lines.str.contains('"', literal=True).arg_true().to_list():
        if index in parsed:
            continue  # joined to a record already read
        # The lines from here as the file has them: the csv module reads on while a field is quoted
        # (once past its field size limit, 131,072 characters, a quote that never ends is refused).
        reader = csv.reader((line + "\n" for line in lines.slice(index)), delimiter=delimiter, strict=True)
        try:
            parsed[index] = next(reader)
        except csv.Error as error:
            if str(error) == "unexpected end of data" and not final:  # read on in the next block
                return {i: f for i, f in parsed.items() if i < index}, index
            raise FileRefused(str(path), f"felaktig citering ({error}): ett citattecken som inte avslutas "
                              "eller står mitt i ett fält", line=first_line + index) from None
        parsed.update(dict.fromkeys(range(index + 1, index + reader.line_num)))
    return parsed, lines.len()


def _frame(lines: pl.Series, parsed: dict, first_line: int, delimiter: str, header_at: int,
           width: int) -> RawBatch:
    """The records as a frame: lines without a quote split by Polars, the records the csv module
    read made a frame as any records read by Python are."""
    frame = pl.DataFrame({"text": lines}).with_row_index("i").with_columns(
        (pl.col("i").cast(pl.Int64) + first_line).alias(LINE))
    unquoted = frame.filter(pl.col(LINE) > header_at)
    if parsed:
        unquoted = unquoted.filter(~pl.col("i").is_in(list(parsed)))
    only_blank = f"^[{WHITESPACE}{'' if delimiter in WHITESPACE else delimiter}]*$"  # delimiters and whitespace
    records = unquoted.select(LINE, pl.col("text").str.strip_suffix("\r").alias(CONTENT)).with_columns(
        blank=pl.col(CONTENT).str.contains(only_blank))
    empty = records["blank"].sum()
    # Split in Rust: the header's fields, then what stands after them (null where nothing does).
    split = pl.col(CONTENT).str.splitn(delimiter, width + 1).struct.rename_fields([*map(field, range(width)), "rest"])
    records = records.filter(~pl.col("blank")).select(
        LINE, CONTENT, pl.col(CONTENT).str.count_matches(delimiter, literal=True).add(1).alias("fields"),
        split.alias("split")).unnest("split")
    count = pl.col("fields")
    wrong = (count < width) | ((count > width) & ~pl.col("rest").str.contains(only_blank))
    batch = RawBatch(records.select(
        *(pl.when(wrong).then(pl.lit("")).otherwise(pl.col(field(i)).fill_null("")).alias(field(i))
          for i in range(width)),
        LINE,
        pl.when(wrong).then(pl.format(_WIDTH_ERROR.format(width, "{}"), count)).alias(ERROR),
        pl.when(count != width).then(pl.col(CONTENT)).alias(CONTENT),
    ), int(empty or 0))
    read = {first_line + index: fields for index, fields in parsed.items()
            if fields is not None and first_line + index > header_at}
    if not read:
        return batch
    quoted = from_records(list(read), list(read.values()), width, delimiter)
    return RawBatch(pl.concat([batch.frame, quoted.frame]).sort(LINE), batch.empty + quoted.empty)
