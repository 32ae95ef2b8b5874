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
from .loader import same_rows_loaded_as
from .schema import BUYERS, INVOICES, LEDGER, REJECTED, SOURCE_FILE_BUYERS, SOURCE_FILES, SUPPLIERS, Table
from .summaries import LATEST_ROW_ORDER, SUMMARIES, Facts, latest_row_with, refresh_references

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
# them from the ledger): that row of each part, kept while the parts are added.
_LATEST_COLUMNS = ("kopare", "kommun_id")
_KEPT = Facts(
    """(SELECT forsta_datum FROM leverantorer WHERE leverantor_id = t.id),
        (SELECT sista_datum FROM leverantorer WHERE leverantor_id = t.id)""",
    f"""SELECT (SELECT forsta_datum FROM kopare WHERE kopare_id = :kopare),
        {", ".join(f"(SELECT varde FROM temp.kopare_senast WHERE kopare_id = :kopare AND falt = '{column}')"
                   for column in _LATEST_COLUMNS)}""")
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


@dataclass(frozen=True)
class Repeated:
    """A file of a later part that an earlier part holds already, as one load would skip it."""

    part: int  # of the works, by index
    name: str
    earlier: str  # the earlier file's name
    same_bytes: bool

    def __str__(self) -> str:
        return (f"{self.name}: överhoppad, " + (f"samma innehåll som {self.earlier}" if self.same_bytes
                                                else f"samma rader som redan inlästa {self.earlier}"))


def parts_of(works: list[Path]) -> list[Part]:
    """The work databases as parts in their order, each one's ids moved past the earlier ones'.
    Refused when one is not of this schema, or when a later one holds a file again."""
    repeated = repeated_files(works)
    if repeated:
        raise ValueError("; ".join(f"{r.name} i {works[r.part]} finns redan som {r.earlier} i en tidigare "
                                   "databas: läs in dem i samma databas, där den senare hoppas över" for r in repeated))
    parts, moved_by = [], dict.fromkeys(_NUMBERED, 0)
    for work in works:
        with closing(sqlite3.connect(f"file:{work}?mode=ro", uri=True)) as conn:
            parts.append(Part(work, dict(moved_by)))
            for kind, table in _NUMBERED.items():
                moved_by[kind] += conn.execute(f"SELECT coalesce(max(id), 0) FROM {table.name}").fetchone()[0]
    return parts


def repeated_files(works: list[Path]) -> list[Repeated]:
    """The files of later work databases that an earlier one holds: the same bytes, or the same
    rows under another name (which one load skips). One name with two contents is refused, as a
    load refuses it; so is a database of another schema."""
    by_content, by_name, by_rows, repeated = {}, {}, {}, []
    for index, work in enumerate(works):
        with closing(sqlite3.connect(f"file:{work}?mode=ro", uri=True)) as conn:
            problem = schema_version_problem(conn)
            if problem:
                raise ValueError(f"{work}: {problem}")
            for name, sha256, first, last, count, total_ore in conn.execute(
                    "SELECT filnamn, sha256, forsta_id, sista_id, rader_inlasta, round(summa * 100) "
                    "FROM kallfiler ORDER BY id").fetchall():
                if sha256 in by_content:
                    repeated.append(Repeated(index, name, by_content[sha256], True))
                    continue
                if name in by_name:
                    raise ValueError(f"{name} finns med olika innehåll i {by_name[name]} och {work}: läs in den "
                                     "ena med --replace i samma databas som den andra")
                same = _same_rows(conn, works, by_rows.get((count, total_ore), set()), first, last, count, total_ore)
                if same:
                    repeated.append(Repeated(index, name, same, False))
                    continue
                by_content[sha256], by_name[name] = name, work
                by_rows.setdefault((count, total_ore), set()).add(index)
    return repeated


def _same_rows(conn: sqlite3.Connection, works: list[Path], candidates: set[int], first, last, count, total_ore):
    """The name of a file of the candidate works (by index) with exactly these rows, if any."""
    for index in sorted(candidates):
        conn.execute("ATTACH DATABASE ? AS tidigare", [f"file:{works[index]}?mode=ro"])
        try:
            same = same_rows_loaded_as(conn, first, last, count, total_ore, earlier="tidigare")
        finally:
            conn.execute("DETACH DATABASE tidigare")
        if same:
            return same
    return None


def start_merging(conn: sqlite3.Connection, first: Part) -> None:
    """Once the first part's tables are copied (it still attached as arbete): its buyers' latest
    rows with a name and a municipality, kept while the later parts are added."""
    conn.execute("CREATE TEMP TABLE kopare_senast (kopare_id TEXT, falt TEXT, bokforingsdatum TEXT, "
                 "nettobelopp REAL, id INTEGER, varde TEXT, PRIMARY KEY (kopare_id, falt))")
    _keep_latest(conn, first)


def _keep_latest(conn: sqlite3.Connection, part: Part) -> None:
    for column in _LATEST_COLUMNS:
        conn.execute(f"""INSERT INTO temp.kopare_senast
            SELECT r.kopare_id, '{column}', r.bokforingsdatum, r.nettobelopp, r.id + {part.moved_by["rows"]},
                r.{column}
            FROM arbete.kopare k JOIN arbete.leverantorsreskontra r
                ON r.id = ({latest_row_with(column, "arbete.leverantorsreskontra", "k.kopare_id")})
            WHERE true ON CONFLICT DO UPDATE SET bokforingsdatum = excluded.bokforingsdatum,
                nettobelopp = excluded.nettobelopp, id = excluded.id, varde = excluded.varde
            WHERE ({", ".join(f"excluded.{c}" for c in LATEST_ROW_ORDER)}) > ({", ".join(LATEST_ROW_ORDER)})""")


def add_part(conn: sqlite3.Connection, part: Part) -> None:
    """Add a later part, attached as arbete, to the tables the earlier ones made."""
    _keep_latest(conn, part)
    for summary in SUMMARIES:
        conn.execute(summary.added_from(f"arbete.{summary.table}"))
    for table in (SOURCE_FILES, REJECTED, SOURCE_FILE_BUYERS, INVOICES):
        conn.execute(f"INSERT INTO main.{table.name} ({', '.join(table.column_names)}) "
                     f"SELECT {part.columns(table)} FROM arbete.{table.name}")
    conn.execute(_BUYERS_ADDED)
    conn.execute(_SUPPLIERS_ADDED)
    conn.execute(_INFO_ADDED)


def finish_merging(conn: sqlite3.Connection, database: str) -> None:
    """Buyers, suppliers, accounts and flags of the merged tables."""
    buyers = {row[0] for row in conn.execute(f"SELECT kopare_id FROM {BUYERS.name}")}
    suppliers = {row[0] for row in conn.execute(f"SELECT leverantor_id FROM {SUPPLIERS.name}")}
    refresh_references(conn, buyers, suppliers, _KEPT)
    flags_of(conn, database)


def flags_of(conn: sqlite3.Connection, database: str) -> None:
    """Every flag computed again, its links to the rows behind it in database (as served)."""
    conn.execute("DELETE FROM flaggor")
    write_flags(conn, every_flag(conn, database))

