"""Year databases: a loaded database split for serving at national scale (`openup shard`).

From the database `openup load` keeps (the work database), this writes one immutable database
per booking year with that year's ledger rows, and a national database with everything else:
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
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from .archive import parquet_path, write_ledger_parquet
from .database import (connect, create_indexes, create_tables, drop_indexes, enable_fts, index_name,
                       schema_version_problem)
from .periods import FIRST_COVERED_DAY, LAST_COVERED_DAY, period_bounds
from .schema import (BUILD_INFO, BUYER_ACCOUNT_MONTH, BUYER_UNIT_MONTH, BUYERS, DIRECT_AWARD_LIMITS, LEDGER,
                     SCHEMA_VERSION,
                     SOURCE_FILES, TABLES_BESIDE_LEDGER, Table)

NATIONAL_TABLES = TABLES_BESIDE_LEDGER
# A year's database: its rows, the files they came from, and the year's figures that the ledger
# page's sum and facets read (plugins/facets.py), kopare's for that year alone.
YEAR_TABLES = (LEDGER, SOURCE_FILES, BUYERS, BUYER_ACCOUNT_MONTH, BUYER_UNIT_MONTH, BUILD_INFO)
# What a reader sorts or filters a year's ledger by beyond the load's indexes: built once here,
# in a file written once, rather than kept up at every load.
READ_INDEXES = (("bokforingsdatum",), ("nettobelopp",), ("fakturanummer",), ("verifikationsnummer",),
                ("konto_nr", "bokforingsdatum"))
YEAR_DATABASES_KEY = "arsdatabaser"  # in the national database's databasinfo: {year: database name}
YEAR_CONTENT_KEY = "arsinnehall"  # in a year database's databasinfo: what it was written from
_FORMAT = "1"  # of a year's database: a new one rewrites every year


@dataclass
class ShardResult:
    national: Path
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)


def write_shards(work: Path, out: Path) -> ShardResult:
    """The national database out/<name>.db and out/<name>_<year>.db for every booking year of
    the work database <name>.db: the national one keeps its name, so the flags' links stay true.
    Every file is written before any is renamed into place: a failure leaves none changed."""
    out.mkdir(parents=True, exist_ok=True)
    name = work.stem
    national = out / f"{name}.db"
    if national.resolve() == work.resolve():
        raise ValueError(f"{out}: välj en annan mapp än arbetsdatabasens, {work.name} skulle skrivas över")
    for leftover in out.glob(f".{name}*.db.tmp"):  # of a run that was killed
        leftover.unlink()
    result, written = ShardResult(national), []
    source = sqlite3.connect(f"file:{work}?mode=ro", uri=True)
    try:
        problem = schema_version_problem(source)
        if problem:
            raise ValueError(problem)
        years = {}
        for year, spans in _year_spans(source).items():
            path = years[year] = out / f"{name}_{year}.db"
            content = _content(source, year, spans)
            year_file = path  # the year's database as it will be: the published one, or its new copy
            if _written_from(path) == content:
                result.kept.append(path)
            else:
                year_file, _ = _written(path, _write_year, source, work, year, spans, content)
                written.append((year_file, path))
            archive = parquet_path(path)
            if year_file != path or not archive.exists():
                written.append(_written(archive, write_ledger_parquet, year_file))
            else:
                result.kept.append(archive)
        if not years:
            raise ValueError(f"{work} har inga rader i reskontran: inget att dela")
        written.append(_written(national, _write_national, work, {y: p.stem for y, p in years.items()}))
    except BaseException:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    before = _published_years(national)
    for temporary, path in written:
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


def published_files(work: Path, out: Path) -> list[Path]:
    """The files a run for work would replace or remove: the national database out/<name>.db,
    and the year databases it names."""
    national = out / f"{work.stem}.db"
    return [path for path in (national, *(out / f"{stem}.db" for stem in _published_years(national).values()))
            if path.exists() and path.resolve() != work.resolve()]


def _published_years(national: Path) -> dict[int, str]:
    if not national.exists():
        return {}
    with closing(sqlite3.connect(f"file:{national}?mode=ro", uri=True)) as conn:
        return read_year_databases(conn)


def _year_spans(source: sqlite3.Connection) -> dict[int, list[list[int]]]:
    """Per booking year, [file, first id, last id, rows] of each file's rows in it: one pass over
    the ledger, after which each year is copied from the id ranges its files hold."""
    spans: dict[int, list[list[int]]] = {}
    for year, file_id, first, last, rows in source.execute(
            "SELECT CAST(substr(bokforingsdatum, 1, 4) AS INTEGER), kallfil_id, min(id), max(id), count(*) "
            f"FROM {LEDGER.name} GROUP BY 1, 2 ORDER BY 1, 3"):
        spans.setdefault(year, []).append([file_id, first, last, rows])
    return spans


def _content(source: sqlite3.Connection, year: int, spans: list[list[int]]) -> str:
    """What a year's database is written from: its files (by content and when each was loaded, as
    ids are reused after a replaced file), the rows it has of each, and its buyers as described
    (a later load may give a buyer's licence or name)."""
    files = source.execute(f"SELECT id, sha256, inlast FROM kallfiler WHERE id IN ({_ids(spans)}) ORDER BY id")
    buyers = source.execute("SELECT kopare_id, kopare, typ, kommun_id, kalla, licens, latitud, longitud FROM kopare "
                            "WHERE kopare_id IN (SELECT kopare_id FROM kopare_manad WHERE ar = ?) ORDER BY 1", [year])
    return json.dumps({"format": _FORMAT, "schema": SCHEMA_VERSION, "spans": spans, "files": files.fetchall(),
                       "buyers": buyers.fetchall()})


def _ids(spans: list[list[int]]) -> str:
    return ", ".join(str(file_id) for file_id, *_ in spans)


def _written_from(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT varde FROM databasinfo WHERE nyckel = ?", [YEAR_CONTENT_KEY]).fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _written(path: Path, write, *args) -> tuple[Path, Path]:
    """write(temporary, *args) to a file beside path, synced to disk: (temporary, path)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        write(temporary, *args)
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary, path


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


def _finish(db, tables: tuple[Table, ...], extra_indexes: tuple[tuple[str, ...], ...] = ()) -> None:
    db.execute("DETACH DATABASE arbete")
    for table in tables:
        create_indexes(db, table)
    for columns in extra_indexes:
        db.execute(f"CREATE INDEX [{index_name(LEDGER, columns)}] ON [{LEDGER.name}] ({', '.join(columns)})")
    enable_fts(db, tables)
    db.execute("PRAGMA analysis_limit = 1000")  # statistics for choosing among the indexes, sampled
    db.execute("ANALYZE")
    db.conn.close()


def _write_year(path: Path, source: sqlite3.Connection, work: Path, year: int, spans: list[list[int]],
                content: str) -> None:
    db = _new_database(path, YEAR_TABLES, work)
    first_day, last_day = period_bounds(str(year))
    with db.conn:
        db.execute("BEGIN")
        for file_id, first, last, _rows in spans:
            _copy(db, LEDGER, "WHERE id BETWEEN ? AND ? AND kallfil_id = ? AND bokforingsdatum BETWEEN ? AND ?",
                  [first, last, file_id, first_day, last_day])
        _copy(db, SOURCE_FILES, f"WHERE id IN ({_ids(spans)})")
        for table in (BUYER_ACCOUNT_MONTH, BUYER_UNIT_MONTH):
            _copy(db, table, "WHERE ar = ?", [year])
        _year_buyers(db, source, year)
        _copy(db, BUILD_INFO, "WHERE nyckel <> ?", [YEAR_DATABASES_KEY])
        db.execute("INSERT INTO databasinfo VALUES ('ar', ?), (?, ?)", [str(year), YEAR_CONTENT_KEY, content])
    _finish(db, YEAR_TABLES, READ_INDEXES)


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


def _write_national(path: Path, work: Path, years: dict[int, str]) -> None:
    db = _new_database(path, NATIONAL_TABLES, work)
    with db.conn:
        db.execute("BEGIN")
        for table in NATIONAL_TABLES:
            _copy(db, table)
        db.execute("INSERT OR REPLACE INTO databasinfo VALUES (?, ?)", [YEAR_DATABASES_KEY, json.dumps(years)])
    _finish(db, NATIONAL_TABLES)
