"""Loading files into the database: one file, one transaction.

A file is skipped when its bytes (sha256) or its rows are already in the database, refused as
a whole when too many lines fail, and otherwise written with its rejected lines, its summaries
and its provenance, or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import sqlite_utils

from .database import ledger_is_empty
from .errors import FileRefused
from .firstload import replace_with, scratch_copy
from .flags import build_flags
from .profiles import Profile
from .reading import DEFAULT_MAX_REJECTED_SHARE, ReadOptions, Tally, read_ledger
from .records import ROW_COLUMNS
from .schema import INVOICES, LEDGER
from .staging import Staging
from .summaries import SUMMARIES, FileAggregates, batch_of_rows, staged_totals_tables

LOADED, SKIPPED, REFUSED = "inläst", "överhoppad", "vägrad"
_INSERT_REJECTED = ("INSERT INTO avvisade_rader (kallfil_id, rad, kolumn, orsak, innehall) "
                    "VALUES (?, ?, ?, ?, ?)")
_READ_BACK_ROWS = 50_000  # rows of a replaced file read back at a time
# The tables a first load builds in the invoices' staging file (copied into the new file from there)
_BUILT_IN_STAGING = (INVOICES.name, *(summary.table for summary in SUMMARIES))
# The columns that make two rows the same row, whatever file they came in.
_ROW_IDENTITY = ", ".join(ROW_COLUMNS)


@dataclass(frozen=True)
class LoadOptions(ReadOptions):
    source: str | None = None  # where the publisher published the file
    license: str | None = None  # the licence the publisher gave it
    replace: bool = False
    max_rejected_share: float = DEFAULT_MAX_REJECTED_SHARE


@dataclass
class FileResult:
    path: Path
    status: str
    tally: Tally = field(default_factory=Tally)
    skipped: int = 0  # rows not loaded because they already were
    seconds: float = 0.0
    message: str = ""
    unknown_columns: list[str] = field(default_factory=list)
    corrections: list[dict] = field(default_factory=list)  # buyer numbers taken from the register

    @property
    def loaded(self) -> int:
        return 0 if self.status == SKIPPED else self.tally.loaded


def load_file(db: sqlite_utils.Database, path: Path, profiles: dict[str, Profile],
              options: LoadOptions, progress: Callable[[int], None] = lambda n: None) -> FileResult:
    """Load one file in one transaction; the database is unchanged unless it is LOADED."""
    started = time.perf_counter()
    conn = db.conn
    try:
        reading = read_ledger(path, profiles, options)
        earlier = conn.execute("SELECT id, filnamn, forsta_id, sista_id, sha256 FROM kallfiler "
                               "WHERE sha256 = ? OR filnamn = ?",
                               [reading.source.sha256, path.name]).fetchall()
        same_bytes = [name for _, name, _, _, sha in earlier if sha == reading.source.sha256]
        if same_bytes and not options.replace:
            return FileResult(path, SKIPPED, seconds=time.perf_counter() - started,
                              message=f"redan inläst (samma innehåll som {same_bytes[0]})")
        if earlier and not options.replace:
            raise FileRefused(str(path), "en fil med samma namn men annat innehåll är redan "
                                         "inläst: ange --replace för att ersätta den")
        if ledger_is_empty(db) and not earlier:
            with scratch_copy(db) as scratch:
                result = _load_staged(scratch, path, reading, options, earlier, progress,
                                      into_new_file=lambda ledger, invoices: replace_with(
                                          db, scratch, ledger.path, dict.fromkeys(_BUILT_IN_STAGING, invoices.path)))
        else:
            result = _load_staged(db, path, reading, options, earlier, progress)
    except FileRefused as refused:
        result = FileResult(path, REFUSED, message=str(refused))
    result.seconds = time.perf_counter() - started
    return result


def _load_staged(db, path, reading, options, earlier, progress, into_new_file=None) -> FileResult:
    """Load in one transaction of db, with the new rows staged; into_new_file(the ledger's and the
    invoices' Staging), if given, makes the ledger's staging file the database once the
    transaction has committed."""
    conn = db.conn
    with Staging(conn, LEDGER.name) as ledger, Staging(conn, INVOICES.name, also=staged_totals_tables()) as invoices:
        conn.execute("BEGIN")  # deferred: IMMEDIATE would lock the staging files too (see staging.py)
        try:
            result = _load_in_transaction(db, path, reading, options, earlier, (ledger, invoices), progress,
                                          staged_in_place=into_new_file is not None)
        except BaseException:
            if conn.in_transaction:  # SQLite has already rolled back after some errors (a full disk)
                conn.execute("ROLLBACK")
            raise
        if result.status != LOADED:
            conn.execute("ROLLBACK")
            return result
        conn.execute("COMMIT")
        if into_new_file is not None:
            into_new_file(ledger, invoices)
    return result


def _load_in_transaction(db, path, reading, options, earlier, staged, progress, staged_in_place: bool) -> FileResult:
    """The load; with staged_in_place, the new ledger rows and invoices are left in their staging
    files, read there in place of db's (empty) tables."""
    ledger, invoices = staged
    conn = db.conn
    touched = set()  # the buyers whose flags the load changes
    for file_id, _name, first, last, _sha in earlier:
        touched |= _remove_file(conn, file_id, first, last)
    fresh = ledger_is_empty(db)
    last_before = conn.execute("SELECT coalesce(max(id), 0) FROM leverantorsreskontra").fetchone()[0]
    file_id = conn.execute(
        "INSERT INTO kallfiler (filnamn, sha256, profil, format, teckenkodning, avgransare, blad, "
        "period, saknade_kolumner, okanda_kolumner, kalla, licens, inlast) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [path.name, reading.source.sha256, reading.profile.name, reading.source.format,
         reading.source.encoding, _delimiter(reading), _sheet(reading), reading.context.period,
         ", ".join(reading.missing_columns) or None, " | ".join(reading.unknown_columns) or None,
         options.source, options.license, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")],
    ).lastrowid
    result = FileResult(path, LOADED, unknown_columns=reading.unknown_columns)
    aggregates = FileAggregates(conn, file_id, invoices=invoices, totals=invoices, summed_in_place=staged_in_place)
    if staged_in_place:  # the staged tables' names then find them (read once ADBC has closed them)
        for table in (LEDGER.name, *_BUILT_IN_STAGING):
            conn.execute(f"DROP TABLE {table}")
    _stream_into(conn, reading.batches(), file_id, last_before + 1, result.tally, aggregates, ledger, progress)
    tally = result.tally
    refusal = tally.refusal(path, options.max_rejected_share)
    if refusal:
        raise refusal
    aggregates.stage_totals()
    if fresh:  # indexes built once after a bulk insert, each staging file's in its own thread
        ledger.index_meanwhile()
        invoices.index_meanwhile()
    for staging in (invoices, ledger):
        staging.written() if staged_in_place else staging.copy()
    first, last = last_before + 1, last_before + tally.loaded
    duplicate_of = same_rows_loaded_as(conn, first, last, tally.loaded, tally.total_ore)
    if duplicate_of:
        result.status, result.message = SKIPPED, f"samma rader som redan inlästa {duplicate_of}"
        result.skipped = tally.loaded
        return result
    result.corrections = [c for c in reading.bad_buyer_ids if c["registrets_kopare_id"]]
    conn.execute("UPDATE kallfiler SET rader_lasta = ?, rader_inlasta = ?, rader_avvisade = ?, "
                 "rader_tomma = ?, rader_maskerade = ?, summa = ?, forsta_id = ?, sista_id = ?, "
                 "korrigeringar = ? WHERE id = ?",
                 [tally.read, tally.loaded, tally.rejected, tally.empty, tally.masked,
                  tally.total_ore / 100, first if tally.loaded else None,
                  last if tally.loaded else None,
                  json.dumps(result.corrections, ensure_ascii=False) if result.corrections else None,
                  file_id])
    aggregates.finish()
    if not staged_in_place:  # else built while the new file is written (firstload.py)
        build_flags(conn, touched | aggregates.buyers)
    if options.source or options.license:
        conn.executemany("UPDATE kopare SET kalla = coalesce(?, kalla), licens = coalesce(?, licens) "
                         "WHERE kopare_id = ?",
                         [(options.source, options.license, b) for b in aggregates.buyers])
    conn.execute("INSERT INTO databasinfo VALUES ('senast_inlast', ?) "
                 "ON CONFLICT DO UPDATE SET varde = excluded.varde",
                 [dt.datetime.now(dt.UTC).isoformat(timespec="seconds")])
    return result


def _stream_into(conn, batches, file_id: int, first_id: int, tally: Tally, aggregates: FileAggregates,
                 ledger: Staging, progress=lambda n: None) -> None:
    """Stage the rows of batches with their ids, and write their rejections, counting them."""
    for batch in batches:
        tally.count(batch)
        rows = batch.rows.frame
        ledger.add(rows.with_columns(id=pl.int_range(first_id, first_id + rows.height, dtype=pl.Int64),
                                     kallfil_id=pl.lit(file_id, dtype=pl.Int64)))
        first_id += rows.height
        conn.executemany(_INSERT_REJECTED, [(file_id, r.line, r.column, r.reason, r.content)
                                           for r in batch.rejections])
        aggregates.add(batch.rows)
        progress(rows.height + len(batch.rejections) + batch.empty)


def _remove_file(conn, file_id: int, first: int | None, last: int | None) -> set[str]:
    """Take an earlier load of a file out of the ledger and the summaries (for --replace);
    the buyers it had."""
    taken_back = FileAggregates(conn, file_id, sign=-1)
    if first is not None and last is not None:
        rows = conn.execute(f"SELECT {_ROW_IDENTITY}, kallrad FROM leverantorsreskontra "
                            "WHERE id BETWEEN ? AND ?", [first, last])
        while chunk := rows.fetchmany(_READ_BACK_ROWS):
            taken_back.add(batch_of_rows(chunk))
    taken_back.finish()
    if first is not None and last is not None:
        conn.execute("DELETE FROM leverantorsreskontra WHERE id BETWEEN ? AND ?", [first, last])
    conn.execute("DELETE FROM avvisade_rader WHERE kallfil_id = ?", [file_id])
    conn.execute("DELETE FROM kallfiler WHERE id = ?", [file_id])
    return taken_back.buyers


def same_rows_loaded_as(conn, first, last, count: int, total_ore: int, earlier: str = "main") -> str | None:
    """The name of an earlier file holding exactly these rows, if any: of this database, or of
    the one attached as earlier (none for no rows: two files with none are not the same)."""
    if not count:
        return None
    for name, other_first, other_last in conn.execute(
            f"SELECT filnamn, forsta_id, sista_id FROM {earlier}.kallfiler WHERE rader_inlasta = ? "
            "AND round(summa * 100) = ?", [count, total_ore]):
        differing = conn.execute(
            f"SELECT count(*) FROM (SELECT {_ROW_IDENTITY} FROM main.leverantorsreskontra "
            f"WHERE id BETWEEN ? AND ? EXCEPT SELECT {_ROW_IDENTITY} FROM {earlier}.leverantorsreskontra "
            f"WHERE id BETWEEN ? AND ?)", [first, last, other_first, other_last]).fetchone()[0]
        if differing == 0:
            return name
    return None


def _delimiter(reading) -> str | None:
    return {";": ";", ",": ",", "\t": "tabb"}.get(reading.recognised.candidate.label) \
        if reading.source.format == "csv" else None


def _sheet(reading) -> str | None:
    return reading.recognised.candidate.label if reading.source.format == "xlsx" else None
