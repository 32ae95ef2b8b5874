"""The national database of several work databases: parts of one instance, loaded in parallel.

Each part is a work database of its own files (`openup build` loads one part per process). The
national database is the first part's tables beside the ledger, with every later part added as
a later file is added by a load: its summaries added to those there (the latest part's "last"
values kept), its files, rejected lines and invoices with their ids moved past the earlier
parts', so that every id is the one a load of the same files, in the same order, into one
database gives. Buyers, suppliers, accounts and flags are then computed again over the whole.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from .database import schema_version_problem
from .flags import every_flag, write_flags
from .loader import remove_file, same_rows_loaded_as
from .schema import BUYERS, INVOICES, LEDGER, REJECTED, SOURCE_FILE_BUYERS, SOURCE_FILES, SUPPLIERS, Table
from .summaries import SUMMARIES, refresh_references

# The ids a part numbers from 1, by the table that holds them.
_NUMBERED = {"rows": LEDGER, "files": SOURCE_FILES, "rejected": REJECTED, "invoices": INVOICES}
# The columns of each table that hold such ids (moved by the earlier parts' largest).
MOVED_IDS: dict[Table, dict[str, str]] = {
    LEDGER: {"id": "rows", "kallfil_id": "files"},
    SOURCE_FILES: {"id": "files", "forsta_id": "rows", "sista_id": "rows"},
    REJECTED: {"id": "rejected", "kallfil_id": "files"},
    SOURCE_FILE_BUYERS: {"kallfil_id": "files"},
    INVOICES: {"id": "invoices", "kallfil_id": "files"},
}
# A buyer's name and municipality are those of its latest row that has them (as a load takes
# them from the ledger): per part, the date of that row, kept while the parts are added.
_NAMED = """INSERT INTO temp.kopare_namngiven
    SELECT k.kopare_id,
        (SELECT bokforingsdatum FROM arbete.leverantorsreskontra r WHERE r.kopare_id = k.kopare_id
         AND r.kopare <> '' ORDER BY bokforingsdatum DESC LIMIT 1), k.kopare,
        (SELECT bokforingsdatum FROM arbete.leverantorsreskontra r WHERE r.kopare_id = k.kopare_id
         AND r.kommun_id <> '' ORDER BY bokforingsdatum DESC LIMIT 1), k.kommun_id
    FROM arbete.kopare k WHERE true
    ON CONFLICT DO UPDATE SET
        namn_datum = CASE WHEN excluded.namn_datum >= coalesce(namn_datum, '') THEN excluded.namn_datum ELSE namn_datum END,
        kopare = CASE WHEN excluded.namn_datum >= coalesce(namn_datum, '') THEN excluded.kopare ELSE kopare END,
        kommun_datum = CASE WHEN excluded.kommun_datum >= coalesce(kommun_datum, '') THEN excluded.kommun_datum
            ELSE kommun_datum END,
        kommun_id = CASE WHEN excluded.kommun_datum >= coalesce(kommun_datum, '') THEN excluded.kommun_id
            ELSE kommun_id END"""
_BUYERS_ADDED = """INSERT INTO main.kopare SELECT * FROM arbete.kopare WHERE true
    ON CONFLICT DO UPDATE SET forsta_datum = min(forsta_datum, excluded.forsta_datum),
        kalla = coalesce(excluded.kalla, kalla), licens = coalesce(excluded.licens, licens)"""
_SUPPLIERS_ADDED = """INSERT INTO main.leverantorer SELECT * FROM arbete.leverantorer WHERE true
    ON CONFLICT DO UPDATE SET forsta_datum = min(forsta_datum, excluded.forsta_datum),
        sista_datum = max(sista_datum, excluded.sista_datum)"""
_INFO_ADDED = ("INSERT INTO main.databasinfo SELECT * FROM arbete.databasinfo WHERE nyckel <> 'schemaversion' "
               "ON CONFLICT DO UPDATE SET varde = CASE WHEN nyckel = 'senast_inlast' "
               "THEN max(varde, excluded.varde) ELSE excluded.varde END")


@dataclass(frozen=True, eq=False)  # eq=False: known by identity
class Part:
    """A work database as a part of the instance, and what its ids are moved by."""

    path: Path
    moved_by: dict[str, int] = field(default_factory=dict)  # per kind of id (_NUMBERED)

    def columns(self, table: Table) -> str:
        """table's columns as selected from the part, its ids moved."""
        moved = MOVED_IDS.get(table, {})
        return ", ".join(f"{c} + {self.moved_by[moved[c]]}" if c in moved and self.moved_by[moved[c]] else c
                         for c in table.column_names)


def parts_of(works: list[Path], skip_repeated: bool = False) -> tuple[list[Part], list[str]]:
    """The work databases as parts in their order, each one's ids moved past the earlier ones'.
    A file that a later part holds again (the same bytes, or the same rows under another name,
    which a load into one database skips) is refused, or with skip_repeated taken out of the later
    part (a build's own): then also what was skipped. One name with two contents is refused, as a
    load refuses it."""
    parts, skipped, moved_by = [], [], dict.fromkeys(_NUMBERED, 0)
    for work in works:
        mode = "rw" if skip_repeated else "ro"
        with closing(sqlite3.connect(f"file:{work}?mode={mode}", uri=True, isolation_level=None)) as conn:
            problem = schema_version_problem(conn)
            if problem:
                raise ValueError(f"{work}: {problem}")
            for earlier in parts:
                skipped += _repeated(conn, work, earlier, skip_repeated)
            parts.append(Part(work, dict(moved_by)))
            for kind, table in _NUMBERED.items():
                moved_by[kind] += conn.execute(f"SELECT coalesce(max(id), 0) FROM {table.name}").fetchone()[0]
    return parts, skipped


def _repeated(conn: sqlite3.Connection, work: Path, earlier: Part, skip: bool) -> list[str]:
    """The files of work (conn) that the earlier part holds, taken out of work if skip."""
    conn.execute("ATTACH DATABASE ? AS tidigare", [f"file:{earlier.path}?mode=ro"])
    try:
        skipped = []
        for file_id, name, sha256, first, last, count, total_ore in conn.execute(
                "SELECT id, filnamn, sha256, forsta_id, sista_id, rader_inlasta, round(summa * 100) "
                "FROM main.kallfiler ORDER BY id").fetchall():
            same = conn.execute("SELECT filnamn FROM tidigare.kallfiler WHERE sha256 = ?", [sha256]).fetchone()
            if same is None and conn.execute("SELECT 1 FROM tidigare.kallfiler WHERE filnamn = ?", [name]).fetchone():
                raise ValueError(f"{name} finns med olika innehåll i {earlier.path} och {work}: läs in den "
                                 "ena med --replace i samma databas som den andra")
            same = same[0] if same else first is not None and same_rows_loaded_as(
                conn, first, last, count, total_ore, earlier="tidigare")
            if not same:
                continue
            if not skip:
                raise ValueError(f"{name} i {work} har samma rader som {same} i {earlier.path}: en inläsning "
                                 "i en databas hoppar över den ena, läs in dem i samma databas")
            conn.execute("BEGIN")
            remove_file(conn, file_id, first, last)
            conn.execute("COMMIT")
            skipped.append(f"{name}: överhoppad, samma rader som redan inlästa {same}")
        return skipped
    finally:
        conn.execute("DETACH DATABASE tidigare")


def start_merging(conn: sqlite3.Connection) -> None:
    """Once the first part's tables are copied (it still attached as arbete): where the buyers'
    names are kept while the later parts are added."""
    conn.execute("CREATE TEMP TABLE kopare_namngiven (kopare_id TEXT PRIMARY KEY, namn_datum TEXT, kopare TEXT, "
                 "kommun_datum TEXT, kommun_id TEXT)")
    conn.execute(_NAMED)


def add_part(conn: sqlite3.Connection, part: Part) -> None:
    """Add a later part, attached as arbete, to the tables the earlier ones made."""
    conn.execute(_NAMED)
    for summary in SUMMARIES:
        conn.execute(summary.added_from(f"arbete.{summary.table}"))
    for table in (SOURCE_FILES, REJECTED, SOURCE_FILE_BUYERS, INVOICES):
        conn.execute(f"INSERT INTO main.{table.name} ({', '.join(table.column_names)}) "
                     f"SELECT {part.columns(table)} FROM arbete.{table.name}")
    conn.execute(_BUYERS_ADDED)
    conn.execute(_SUPPLIERS_ADDED)
    conn.execute(_INFO_ADDED)


def finish_merging(conn: sqlite3.Connection, database: str) -> None:
    """Buyers, suppliers, accounts and flags of the merged tables; the flags' links to database."""
    buyers = {row[0] for row in conn.execute(f"SELECT kopare_id FROM {BUYERS.name}")}
    suppliers = {row[0] for row in conn.execute(f"SELECT leverantor_id FROM {SUPPLIERS.name}")}
    refresh_references(conn, buyers, suppliers, ledger=False)
    conn.execute("DELETE FROM flaggor")
    write_flags(conn, every_flag(conn, database))

