"""Creating the published database's tables, indexes, full-text search and reference data."""

from __future__ import annotations

import csv
import os
import sqlite3
from importlib import resources
from pathlib import Path

import sqlite_utils

from .schema import DIRECT_AWARD_LIMITS, LEDGER, SCHEMA_VERSION, TABLES, Table

_TYPES = {"TEXT": str, "INTEGER": int, "REAL": float}
# Of a new database file (and of a load's staging files): a ledger's rows are copied and indexed
# a fifth faster than with SQLite's default of 4 KiB (1M rows: copy 0.82 -> 0.65 s, indexes
# 1.41 -> 1.33 s), and a page read is still a small one.
PAGE_SIZE = 16384
# Index builds sort in worker threads: the five bulk indexes at 1M rows took 3.9 s rather than
# 4.7 s; the ledger's three at 10M in a staging file, 13.6 s rather than 19.4 s.
SORT_THREADS = min(os.cpu_count() or 1, 4)


def connect(path: Path) -> sqlite_utils.Database:
    """The database with transactions under our control (BEGIN/COMMIT issued explicitly)."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # a file that has pages keeps theirs
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA cache_size = -16384")  # 16 MiB: memory stays flat; more did not speed up index builds
    connection.execute(f"PRAGMA threads = {SORT_THREADS}")
    return sqlite_utils.Database(connection)


def database_path(conn: sqlite3.Connection) -> Path:
    """The file of conn's main database."""
    return Path(next(row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"))


def index_name(table: Table, columns: tuple[str, ...]) -> str:
    return f"idx_{table.name}_{'_'.join(columns)}"


def create_indexes(db: sqlite_utils.Database, table: Table) -> None:
    for columns in table.indexes:
        db.execute(f"CREATE INDEX IF NOT EXISTS [{index_name(table, columns)}] "
                   f"ON [{table.name}] ({', '.join(f'[{c}]' for c in columns)})")
    if table.unique:
        db.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS [{index_name(table, table.unique)}] "
                   f"ON [{table.name}] ({', '.join(table.unique)})")


def drop_indexes(db: sqlite_utils.Database, table: Table) -> None:
    for columns in (*table.indexes, *((table.unique,) if table.unique else ())):
        db.execute(f"DROP INDEX IF EXISTS [{index_name(table, columns)}]")


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create what is missing; an existing database is left as it is, if it is of our schema."""
    if not db["databasinfo"].exists():
        create_tables(db, TABLES)
    problem = schema_version_problem(db.conn)
    if problem:
        raise sqlite3.DatabaseError(problem)
    enable_fts(db, TABLES)


def enable_fts(db: sqlite_utils.Database, tables) -> None:
    """Full-text search on the tables that have it, of the rows already there and those to come."""
    for table in tables:
        if table.fts and not db[table.name].detect_fts():
            db[table.name].enable_fts(list(table.fts), create_triggers=True, tokenize="trigram")


def schema_version_problem(conn: sqlite3.Connection) -> str | None:
    """Why this openup cannot use the database (built by another schema version), if it cannot."""
    try:
        version = conn.execute("SELECT varde FROM databasinfo WHERE nyckel = 'schemaversion'").fetchone()
    except sqlite3.OperationalError:  # no databasinfo: not an openup database
        version = None
    if version is not None and version[0] == SCHEMA_VERSION:
        return None
    return (f"databasen har schemaversion {version[0] if version else 'saknas'}, openup använder "
            f"version {SCHEMA_VERSION}: bygg om databasen från källfilerna")


def create_tables(db: sqlite_utils.Database, tables) -> None:
    """The tables with their indexes, the direct-award limits and the schema version, in one transaction."""
    with db.conn:
        db.conn.execute("BEGIN")
        for table in tables:
            db[table.name].create(
                {c.name: _TYPES[c.type] for c in table.columns},
                pk=table.pk[0] if len(table.pk) == 1 else table.pk,
            )
            create_indexes(db, table)
        if DIRECT_AWARD_LIMITS in tables:
            _insert_direct_award_limits(db)
        db.conn.execute("INSERT INTO databasinfo VALUES ('schemaversion', ?)", [SCHEMA_VERSION])


def _insert_direct_award_limits(db: sqlite_utils.Database) -> None:
    text = (resources.files("openup") / "data" / "direktupphandlingsgranser.csv").read_text("utf-8")
    rows = [
        {**row, "till": row["till"] or None, "grans": float(row["grans"])}
        for row in csv.DictReader(text.splitlines())
    ]
    columns = DIRECT_AWARD_LIMITS.column_names
    db.conn.executemany(
        f"INSERT INTO {DIRECT_AWARD_LIMITS.name} VALUES ({', '.join('?' * len(columns))})",
        [[row[c] for c in columns] for row in rows],
    )


def ledger_is_empty(db: sqlite_utils.Database) -> bool:
    return db.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {LEDGER.name})").fetchone()[0] == 1
