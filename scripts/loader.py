"""Loading files into the database: one file, one transaction.

A file is skipped when its bytes (sha256) or its rows are already in the database, refused as
a whole when too many lines fail, and otherwise written with its rejected lines, its summaries
and its provenance, or not at all.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from . import summaries
from .database import create_indexes, drop_indexes, ledger_is_empty
from .errors import FileRefused
from .profiles import Profile
from .reading import DEFAULT_MAX_REJECTED_SHARE, ReadOptions, Rejection, Tally, read_ledger
from .records import ROW_COLUMNS
from .schema import LEDGER

LOADED, SKIPPED, REFUSED = "inläst", "överhoppad", "vägrad"
_BATCH = 20_000
_INSERT_ROW = (f"INSERT INTO leverantorsreskontra ({', '.join((*ROW_COLUMNS, 'kallfil_id', 'kallrad'))}) "
               f"VALUES ({', '.join('?' * (len(ROW_COLUMNS) + 2))})")
_INSERT_REJECTED = ("INSERT INTO avvisade_rader (kallfil_id, rad, kolumn, orsak, innehall) "
                    "VALUES (?, ?, ?, ?, ?)")
# The columns that make two rows the same row, whatever file they came in.
_ROW_IDENTITY = ", ".join(ROW_COLUMNS)


@dataclass(frozen=True)
class LoadOptions(ReadOptions):
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
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = _load_in_transaction(db, path, reading, options, earlier, progress)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if result.status == LOADED:
            conn.execute("COMMIT")
        else:
            conn.execute("ROLLBACK")
    except FileRefused as refused:
        result = FileResult(path, REFUSED, message=str(refused))
    result.seconds = time.perf_counter() - started
    return result


def _load_in_transaction(db, path, reading, options, earlier, progress) -> FileResult:
    conn = db.conn
    for file_id, _name, first, last, _sha in earlier:
        summaries.remove_file(conn, file_id, first, last)
    fresh = ledger_is_empty(db)
    last_before = conn.execute("SELECT coalesce(max(id), 0) FROM leverantorsreskontra").fetchone()[0]
    if fresh:  # building indexes once after a bulk insert beats updating them row by row
        drop_indexes(db, LEDGER)
    file_id = conn.execute(
        "INSERT INTO kallfiler (filnamn, sha256, profil, format, teckenkodning, avgransare, blad, "
        "period, saknade_kolumner, inlast) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [path.name, reading.source.sha256, reading.profile.name, reading.source.format,
         reading.source.encoding, _delimiter(reading), _sheet(reading), reading.context.period,
         ", ".join(reading.missing_columns) or None,
         dt.datetime.now(dt.UTC).isoformat(timespec="seconds")],
    ).lastrowid
    result = FileResult(path, LOADED)
    tally = result.tally
    rows: list[tuple] = []
    rejected: list[tuple] = []
    total_ore = 0
    for line, outcome in reading.lines():
        tally.count(outcome)
        if isinstance(outcome, Rejection):
            rejected.append((file_id, line, outcome.column, outcome.reason, outcome.content))
            continue
        rows.append((*outcome, file_id, line))
        total_ore += round(outcome[10] * 100)
        if len(rows) >= _BATCH:
            conn.executemany(_INSERT_ROW, rows)
            progress(len(rows))
            rows.clear()
    conn.executemany(_INSERT_ROW, rows)
    conn.executemany(_INSERT_REJECTED, rejected)
    progress(len(rows))
    refusal = tally.refusal(path, options.max_rejected_share)
    if refusal:
        raise refusal
    first, last = last_before + 1, last_before + tally.loaded
    if fresh:
        create_indexes(db, LEDGER)
    duplicate_of = _same_rows_loaded_as(conn, first, last, tally.loaded, total_ore)
    if duplicate_of:
        result.status, result.message = SKIPPED, f"samma rader som redan inlästa {duplicate_of}"
        result.skipped = tally.loaded
        return result
    conn.execute("UPDATE kallfiler SET rader_lasta = ?, rader_inlasta = ?, rader_avvisade = ?, "
                 "rader_maskerade = ?, summa = ?, forsta_id = ?, sista_id = ? WHERE id = ?",
                 [tally.read, tally.loaded, tally.rejected, tally.masked, total_ore / 100,
                  first if tally.loaded else None, last if tally.loaded else None, file_id])
    summaries.add_file(conn, file_id, first, last)
    summaries.refresh_references(conn)
    conn.execute("INSERT INTO databasinfo VALUES ('senast_inlast', ?) "
                 "ON CONFLICT DO UPDATE SET varde = excluded.varde",
                 [dt.datetime.now(dt.UTC).isoformat(timespec="seconds")])
    return result


def _same_rows_loaded_as(conn, first, last, count: int, total_ore: int) -> str | None:
    """The name of an earlier file holding exactly these rows, if any."""
    for name, other_first, other_last in conn.execute(
            "SELECT filnamn, forsta_id, sista_id FROM kallfiler WHERE rader_inlasta = ? "
            "AND round(summa * 100) = ?", [count, total_ore]):
        differing = conn.execute(
            f"SELECT count(*) FROM (SELECT {_ROW_IDENTITY} FROM leverantorsreskontra "
            f"WHERE id BETWEEN ? AND ? EXCEPT SELECT {_ROW_IDENTITY} FROM leverantorsreskontra "
            f"WHERE id BETWEEN ? AND ?)", [first, last, other_first, other_last]).fetchone()[0]
        if differing == 0:
            return name
    return None


def _delimiter(reading) -> str | None:
    return {";": ";", ",": ",", "\t": "tabb"}.get(reading.recognised.candidate.label) \
        if reading.source.format == "csv" else None


def _sheet(reading) -> str | None:
    return reading.recognised.candidate.label if reading.source.format == "xlsx" else None
