"""Year databases: a loaded database split for serving at national scale (`openup shard`).

From the database `openup load` keeps (the work database), or from several loaded in parallel
as parts of one instance (`openup build`, scripts/national.py), this writes one immutable
database per booking year with that year's ledger rows, and a national database with everything else:
the summaries across years, invoices, flags, files and rejected lines. Every page reads the
national database; the ledger's table and row pages are answered from the year databases
(plugins/shards.py), each a year's rows and so of a size one machine serves fast. A year's
database is written again only when its rows changed, with its rows as Parquet beside it (the
bulk download, scripts/archive.py), and each file is written beside its final name and renamed
into place, so a failed run leaves the published files as they were.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from .archive import parquet_path, write_ledger_parquet
from .database import connect, create_indexes, create_tables, drop_indexes, enable_fts, index_name
from .national import Part, add_part, finish_merging, flags_of, parts_of, start_merging
from .periods import FIRST_COVERED_DAY, LAST_COVERED_DAY, period_bounds
from .processes import run_all
from .schema import (BUILD_INFO, BUYER_ACCOUNT_MONTH, BUYER_MONTH, BUYER_UNIT_MONTH, BUYERS, DIRECT_AWARD_LIMITS, LEDGER,
                     SCHEMA_VERSION, SOURCE_FILES, SUPPLIER_BUYERS, TABLES_BESIDE_LEDGER, Table)

NATIONAL_TABLES = TABLES_BESIDE_LEDGER
# A year's database: its rows, the files they came from, and the year's figures that the ledger
# page's count, sum and facets read (plugins/counts.py, facets.py), kopare's for that year alone.
YEAR_TABLES = (LEDGER, SOURCE_FILES, BUYERS, BUYER_MONTH, BUYER_ACCOUNT_MONTH, BUYER_UNIT_MONTH, SUPPLIER_BUYERS,
               BUILD_INFO)
# What a reader sorts or filters a year's ledger by beyond the load's indexes: built once here,
# in a file written once, rather than kept up at every load. A buyer's or supplier's rows in id
# order (a table page's) are read from the key alone: the load's indexes order them by date or
# amount after it, and the page sorted all of the largest buyer's 2M rows of a year (214 ms). A
# supplier by key is how the pages link to its rows.
READ_INDEXES = (("bokforingsdatum",), ("nettobelopp",), ("fakturanummer",), ("verifikationsnummer",),
                ("konto_nr", "bokforingsdatum"), ("kopare_id",), ("leverantor_id",), ("leverantor_nyckel",))
YEAR_DATABASES_KEY = "arsdatabaser"  # in the national database's databasinfo: {year: database name}
YEAR_CONTENT_KEY = "arsinnehall"  # in a year database's databasinfo: what it was written from
_FORMAT = "4"  # of a year's database: a new one rewrites every year


@dataclass
class ShardResult:
    national: Path
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)


def write_shards(works: list[Path], out: Path, name: str | None = None, own_parts: bool = False,
                 workers: int = 1) -> ShardResult:
    """The national database out/<name>.db and out/<name>_<year>.db for every booking year of the
    work databases, parts of one instance in the order their files were loaded (scripts/national.py).
    The name is by default the first work database's: the flags' links stay true. The years are
    written by workers processes at once (in this one with 1). Every file is written before any
    is renamed into place: a failure leaves none changed. With own_parts (a build's), each part is
    removed once its years are written, so that the rows are on disk twice only a few years at a
    time."""
    out.mkdir(parents=True, exist_ok=True)
    name = name or works[0].stem
    national = out / f"{name}.db"
    for work in works:
        if national.resolve() == work.resolve():
            raise ValueError(f"{out}: välj en annan mapp än arbetsdatabasens, {work.name} skulle skrivas över")
    _remove_temporaries(out, name)  # of a run that was killed
    result, written = ShardResult(national), []
    try:
        parts = parts_of(works)
        spans = _year_spans(parts)
        if not spans:
            raise ValueError(f"{', '.join(map(str, works))} har inga rader i reskontran: inget att dela")
        years = {year: out / f"{name}_{year}.db" for year in spans}
        written.append(_written(national, _write_national, parts, name, {y: p.stem for y, p in years.items()}))
        years_left: dict[Part, set[int]] = {}
        for year, year_spans in spans.items():
            for span in year_spans:
                years_left.setdefault(span.part, set()).add(year)

        def year_written(task: YearTask) -> None:
            written.extend(task.temporaries())
            for part, left in years_left.items():
                if task.year in left:
                    left.remove(task.year)
                    if not left and own_parts:
                        part.path.unlink()
        tasks = _year_tasks(written[0][0], years, spans)
        for task in tasks:
            result.kept.extend(task.kept())
            if not task.temporaries():
                year_written(task)
        _write_years([task for task in tasks if task.temporaries()], workers, year_written, out / f".{name}_ar")
    except BaseException:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)
        _remove_temporaries(out, name)  # of a year's process stopped midway
        raise
    before = _published_years(national)
    years_written = sorted(written[1:], key=lambda pair: pair[1])  # as each was done: in year order
    for temporary, path in [*years_written, written[0]]:  # the national database last: it names the years
        temporary.replace(path)
        path.with_suffix(".inspect.json").unlink(missing_ok=True)  # of the file replaced
        if path != national:
            result.written.append(path)
    for stale in sorted({out / f"{stem}.db" for stem in before.values()} - set(years.values())):
        for removed in (stale, parquet_path(stale)):
            if removed.exists():
                removed.unlink()
                result.removed.append(removed)
        stale.with_suffix(".inspect.json").unlink(missing_ok=True)
    return result


def read_year_databases(conn: sqlite3.Connection) -> dict[int, str]:
    """A national database's year databases by year ({} for any other database)."""
    try:
        row = conn.execute("SELECT varde FROM databasinfo WHERE nyckel = ?", [YEAR_DATABASES_KEY]).fetchone()
    except sqlite3.OperationalError:  # not an openup database
        return {}
    return {int(year): stem for year, stem in json.loads(row[0]).items()} if row else {}


def year_of_database(conn: sqlite3.Connection) -> int | None:
    """The booking year of a year's database (None for any other database)."""
    try:
        row = conn.execute("SELECT varde FROM databasinfo WHERE nyckel = 'ar'").fetchone()
    except sqlite3.OperationalError:  # not an openup database
        return None
    return int(row[0]) if row else None


def published_files(works: list[Path], out: Path, name: str) -> list[Path]:
    """The files a run would replace or remove: the national database out/<name>.db, and the
    year databases it names."""
    national = out / f"{name}.db"
    return [path for path in (national, *(out / f"{stem}.db" for stem in _published_years(national).values()))
            if path.exists() and all(path.resolve() != work.resolve() for work in works)]


def _published_years(national: Path) -> dict[int, str]:
    if not national.exists():
        return {}
    with closing(sqlite3.connect(f"file:{national}?mode=ro", uri=True)) as conn:
        return read_year_databases(conn)


@dataclass(frozen=True)
class _Span:
    """A file's rows of a year in a part: its id in the part, its first and last row's, how many."""

    part: Part
    file_id: int
    first: int
    last: int
    rows: int

    @property
    def national_file_id(self) -> int:
        return self.file_id + self.part.moved_by["files"]

    def as_published(self) -> list[int]:
        """The span as the ids of the national database give it: file, first row, last row, rows."""
        moved_rows = self.part.moved_by["rows"]
        return [self.national_file_id, self.first + moved_rows, self.last + moved_rows, self.rows]


def _year_spans(parts: list[Part]) -> dict[int, list[_Span]]:
    """Per booking year (in order), the spans of each part's files in it: one pass over each
    part's ledger, after which each year is copied from the id ranges its files hold."""
    spans: dict[int, list[_Span]] = {}
    for part in parts:
        with closing(sqlite3.connect(f"file:{part.path}?mode=ro", uri=True)) as conn:
            for year, *span in conn.execute(
                    "SELECT CAST(substr(bokforingsdatum, 1, 4) AS INTEGER), kallfil_id, min(id), max(id), count(*) "
                    f"FROM {LEDGER.name} GROUP BY 1, 2 ORDER BY 1, 3"):
                spans.setdefault(year, []).append(_Span(part, *span))
    return dict(sorted(spans.items()))


def _content(summaries: sqlite3.Connection, year: int, spans: list[_Span]) -> str:
    """What a year's database is written from: its files (by content and when each was loaded, as
    ids are reused after a replaced file), the rows it has of each, and its buyers as described
    (a later load may give a buyer's licence or name)."""
    files = summaries.execute(f"SELECT id, sha256, inlast FROM kallfiler WHERE id IN ({_ids(spans)}) ORDER BY id")
    buyers = summaries.execute("SELECT kopare_id, kopare, typ, kommun_id, kalla, licens, latitud, longitud FROM kopare "
                               "WHERE kopare_id IN (SELECT kopare_id FROM kopare_manad WHERE ar = ?) ORDER BY 1", [year])
    return json.dumps({"format": _FORMAT, "schema": SCHEMA_VERSION, "spans": [span.as_published() for span in spans],
                       "files": files.fetchall(), "buyers": buyers.fetchall()})


def _ids(spans: list[_Span]) -> str:
    """The spans' files, by their ids in the national database."""
    return ", ".join(str(span.national_file_id) for span in spans)


def _written_from(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT varde FROM databasinfo WHERE nyckel = ?", [YEAR_CONTENT_KEY]).fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _temporary(path: Path) -> Path:
    """Where path is written before it is renamed into place."""
    return path.with_name(f".{path.name}.tmp")


def _remove_temporaries(out: Path, name: str) -> None:
    """The files a run writes before renaming them into place, and its year processes' orders."""
    for temporary in [_temporary(out / f"{name}.db"), *out.glob(f".{name}_[0-9][0-9][0-9][0-9].*.tmp")]:
        temporary.unlink(missing_ok=True)
    shutil.rmtree(out / f".{name}_ar", ignore_errors=True)


def _written(path: Path, write, *args) -> tuple[Path, Path]:
    """write(temporary, *args) to a file beside path, synced to disk: (temporary, path)."""
    temporary = _temporary(path)
    temporary.unlink(missing_ok=True)
    try:
        write(temporary, *args)
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary, path


@dataclass(frozen=True)
class YearTask:
    """A year's files to write: its database, unless the published one holds these rows already,
    and its Parquet file, unless kept with it."""

    year: int
    path: Path  # the published database
    national: Path  # the national database it takes its figures from, as written
    spans: list[_Span]
    content: str
    database_kept: bool
    archive_kept: bool

    def kept(self) -> list[Path]:
        return [path for path, kept in self._files() if kept]

    def temporaries(self) -> list[tuple[Path, Path]]:
        """(temporary, published) for each file written."""
        return [(_temporary(path), path) for path, kept in self._files() if not kept]

    def _files(self) -> tuple[tuple[Path, bool], ...]:
        """Each published file, and whether it is kept."""
        return (self.path, self.database_kept), (parquet_path(self.path), self.archive_kept)

    def write(self) -> None:
        """The files, beside their published names (in this process, or in one of its own)."""
        year_file = self.path
        if not self.database_kept:
            with closing(sqlite3.connect(f"file:{self.national}?mode=ro", uri=True)) as summaries:
                year_file, _ = _written(self.path, _write_year, summaries, self.national, self.year, self.spans,
                                        self.content)
        if not self.archive_kept:
            _written(parquet_path(self.path), write_ledger_parquet, year_file)


def _year_tasks(national: Path, years: dict[int, Path], spans: dict[int, list[_Span]]) -> list[YearTask]:
    with closing(sqlite3.connect(f"file:{national}?mode=ro", uri=True)) as summaries:
        tasks = []
        for year, path in years.items():
            content = _content(summaries, year, spans[year])
            kept = _written_from(path) == content
            tasks.append(YearTask(year, path, national, spans[year], content, kept, kept and parquet_path(path).exists()))
    return tasks


def _write_years(tasks: list[YearTask], workers: int, done: Callable[[YearTask], None], orders: Path) -> None:
    """Each task written, by workers processes at once (in this one with 1), done(task) called as
    each is: a year's database is mostly SQLite's and Polars' work, which one process does on
    about one core (threads were slower: the Parquet batches are made under Python's lock)."""
    if min(workers, len(tasks)) <= 1:
        for task in tasks:
            task.write()
            done(task)
        return
    orders.mkdir()  # a killed run's are gone (_remove_temporaries)
    try:
        commands = []
        for task in tasks:
            order = orders / f"{task.year}.pickle"
            order.write_bytes(pickle.dumps(task))
            commands.append(([sys.executable, "-m", "openup.year_writer", str(order)], order.with_suffix(".log")))
        outputs, failed = run_all(commands, workers, lambda index: done(tasks[index]))
    finally:
        shutil.rmtree(orders, ignore_errors=True)
    if failed is not None:
        last_line = (outputs[failed].strip().splitlines() or ["avbruten"])[-1]
        raise ValueError(f"{tasks[failed].path.name} skrevs inte ({last_line})")


def _new_database(path: Path, tables: tuple[Table, ...], work: Path):
    db = connect(path)
    db.execute("PRAGMA journal_mode = OFF")  # a file not yet published: a failure discards it whole
    create_tables(db, tables)
    for table in tables:
        drop_indexes(db, table)  # built once after the rows are in
    db.execute("ATTACH DATABASE ? AS arbete", [str(work)])
    return db


def _copy(db, table: Table, where: str = "", params=()) -> None:
    columns = ", ".join(table.column_names)
    verb = "INSERT OR REPLACE" if table in (BUILD_INFO, DIRECT_AWARD_LIMITS) else "INSERT"  # made with the tables
    db.execute(f"{verb} INTO main.{table.name} ({columns}) SELECT {columns} "
               f"FROM arbete.{table.name} {where}", params)


def _finish(db, tables: tuple[Table, ...], extra_indexes: tuple[tuple[str, ...], ...] = (),
            analysis_limit: int = 1000) -> None:
    """The tables' indexes, and statistics for choosing among them: sampled (analysis_limit rows
    of each index), or read from every entry with 0."""
    for table in tables:
        create_indexes(db, table)
    for columns in extra_indexes:
        db.execute(f"CREATE INDEX [{index_name(LEDGER, columns)}] ON [{LEDGER.name}] ({', '.join(columns)})")
    enable_fts(db, tables)
    db.execute(f"PRAGMA analysis_limit = {analysis_limit}")
    db.execute("ANALYZE")
    db.conn.close()


def _write_year(path: Path, summaries: sqlite3.Connection, national: Path, year: int, spans: list[_Span],
                content: str) -> None:
    """The year's rows from the parts that hold them, and its figures from the national database."""
    db = _new_database(path, YEAR_TABLES, national)
    first_day, last_day = period_bounds(str(year))
    for part in dict.fromkeys(span.part for span in spans):
        db.execute("ATTACH DATABASE ? AS delen", [str(part.path)])
        with db.conn:
            db.execute("BEGIN")
            for span in spans:
                if span.part is part:
                    db.execute(f"INSERT INTO main.{LEDGER.name} ({', '.join(LEDGER.column_names)}) "
                               f"SELECT {part.columns(LEDGER)} FROM delen.{LEDGER.name} WHERE id BETWEEN ? AND ? "
                               "AND kallfil_id = ? AND bokforingsdatum BETWEEN ? AND ?",
                               [span.first, span.last, span.file_id, first_day, last_day])
        db.execute("DETACH DATABASE delen")
    with db.conn:
        db.execute("BEGIN")
        _copy(db, SOURCE_FILES, f"WHERE id IN ({_ids(spans)})")
        for table in (BUYER_MONTH, BUYER_ACCOUNT_MONTH, BUYER_UNIT_MONTH):
            _copy(db, table, "WHERE ar = ?", [year])
        _year_buyers(db, summaries, year)
        _year_suppliers(db)
        _copy(db, BUILD_INFO, "WHERE nyckel <> ?", [YEAR_DATABASES_KEY])
        db.execute("INSERT INTO databasinfo VALUES ('ar', ?), (?, ?)", [str(year), YEAR_CONTENT_KEY, content])
    db.execute("DETACH DATABASE arbete")
    # In full: a sample of an index sorted by buyer sees a few buyers and took them for all (1,001
    # rows a buyer of a year of 10M rows, not 32,197), so the planner kept sorting by id.
    _finish(db, YEAR_TABLES, READ_INDEXES, analysis_limit=0)


def _year_buyers(db, source: sqlite3.Connection, year: int) -> None:
    """kopare of the year alone: its rows, sum and days, from the summaries (the popup, of every
    year, is left out)."""
    db.execute("""INSERT INTO kopare (kopare_id, kopare, typ, kommun_id, rader, summa, kalla, licens,
            latitud, longitud)
        SELECT k.kopare_id, k.kopare, k.typ, k.kommun_id, m.rader, m.summa, k.kalla, k.licens, k.latitud,
            k.longitud
        FROM arbete.kopare k JOIN (SELECT kopare_id, sum(rader) AS rader, round(sum(summa), 2) AS summa
            FROM arbete.kopare_manad WHERE ar = ? GROUP BY kopare_id) m ON m.kopare_id = k.kopare_id""", [year])
    first_day, last_day = period_bounds(str(year))
    for (buyer,) in db.execute("SELECT kopare_id FROM kopare").fetchall():
        span = {"kopare": buyer, "fran": first_day, "till": last_day}
        db.execute("UPDATE kopare SET forsta_datum = ?, sista_datum = ? WHERE kopare_id = ?",
                   [*(source.execute(sql, span).fetchone()[0] for sql in (FIRST_COVERED_DAY, LAST_COVERED_DAY)),
                    buyer])


def _year_suppliers(db) -> None:
    """The year's rows and sum per supplier key, id and buyer, from the rows themselves (pages link
    to a supplier's rows by key, a reader filters by id: the same for organisation and VAT numbers)."""
    db.execute(f"""INSERT INTO {SUPPLIER_BUYERS.name} (leverantor_nyckel, leverantor_id, kopare_id, rader, summa)
        SELECT leverantor_nyckel, leverantor_id, kopare_id, count(*), round(sum(nettobelopp), 2) FROM {LEDGER.name}
        GROUP BY leverantor_nyckel, leverantor_id, kopare_id""")


def _write_national(path: Path, parts: list[Part], name: str, years: dict[int, str]) -> None:
    """Every table beside the ledger: the first part's, with the others added; the flags' links
    name the database as served."""
    first, *later = parts
    db = _new_database(path, NATIONAL_TABLES, first.path)
    with db.conn:
        db.execute("BEGIN")
        for table in NATIONAL_TABLES:
            _copy(db, table)
        if later:
            start_merging(db.conn, first)
    db.execute("DETACH DATABASE arbete")
    for part in later:  # added by the tables' keys (kept), indexed after
        db.execute("ATTACH DATABASE ? AS arbete", [str(part.path)])
        with db.conn:
            db.execute("BEGIN")
            add_part(db.conn, part)
        db.execute("DETACH DATABASE arbete")
    if later or first.path.stem != name:
        for table in NATIONAL_TABLES:  # the references and flags are found by them
            create_indexes(db, table)
        with db.conn:
            db.execute("BEGIN")
            finish_merging(db.conn, name) if later else flags_of(db.conn, name)
    db.execute("INSERT OR REPLACE INTO databasinfo VALUES (?, ?)", [YEAR_DATABASES_KEY, json.dumps(years)])
    _finish(db, NATIONAL_TABLES)
