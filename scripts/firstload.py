"""A first load: the ledger's staging file becomes the database.

Loaded into an empty ledger, the rows ADBC wrote to their staging file need not be copied into
the database (at 10M rows, 3 GB written twice): the staging file becomes the database instead.
The load runs as any other, but on a scratch copy of the database without the ledger table, so
that its reads of the ledger find the staged one. Once it has committed, every other table of
the scratch copy is copied into the staging file, page by page (the same tables with the same
indexes, empty), and the file is synced and renamed over the database. The database is not
written before that rename, so a failed or killed load leaves it as it was.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path

import sqlite_utils

from . import locks
from .database import connect, create_tables, database_path, enable_fts
from .flags import every_flag, write_flags
from .schema import TABLES_BESIDE_LEDGER
from .staging import staging_folder


@contextmanager
def scratch_copy(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A copy of db to load into, removed after: under db's file name (the flags' links name
    the database served), in a staging folder beside db, where a killed load's is found again."""
    database = database_path(db.conn)
    folder = staging_folder(database)
    try:
        scratch = folder / database.name
        db.execute("VACUUM INTO ?", [str(scratch)])
        copy = connect(scratch)
        try:
            copy.execute("PRAGMA synchronous = OFF")  # thrown away unless the load succeeds
            yield copy
        finally:
            copy.conn.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def replace_with(db: sqlite_utils.Database, scratch: sqlite_utils.Database, ledger_file: Path,
                 staged: dict[str, Path]) -> None:
    """Copy every table but the ledger into ledger_file, which holds the ledger, from scratch or
    the staging file given by staged, with the flags of every buyer (built from them meanwhile),
    and rename it over db's file; db is then connected to it."""
    database = database_path(db.conn)
    new = connect(ledger_file)
    flagging = ThreadPoolExecutor(1, thread_name_prefix="flags")
    try:
        flags = flagging.submit(_every_flag, database_path(scratch.conn), staged)
        new.execute("PRAGMA journal_mode = OFF")  # a file not yet published: a failure discards it whole
        create_tables(new, TABLES_BESIDE_LEDGER)  # with their indexes: an empty table takes rows and indexes as pages
        new.execute("ATTACH DATABASE ? AS scratch", [str(database_path(scratch.conn))])
        aliases = _attached(new.conn, staged)
        sources = {table.name: aliases.get(table.name, "scratch") for table in TABLES_BESIDE_LEDGER}
        with new.conn:
            new.execute("BEGIN")
            for table, source in sources.items():
                new.execute(f"DELETE FROM main.[{table}]")  # what create_tables put there
                new.execute(f"INSERT INTO main.[{table}] SELECT * FROM {source}.[{table}]")
        for source in set(sources.values()):
            new.execute(f"DETACH DATABASE {source}")
        enable_fts(new, TABLES_BESIDE_LEDGER)
        with new.conn:
            new.execute("BEGIN")
            write_flags(new.conn, flags.result())
    finally:
        flagging.shutdown()
        new.conn.close()
    os.chmod(ledger_file, stat.S_IMODE(database.stat().st_mode))
    _synced(ledger_file)
    locks.carry_over(database, ledger_file)
    db.conn.close()
    os.replace(ledger_file, database)
    _synced(database.parent)
    db.conn = connect(database).conn


def _every_flag(scratch: Path, staged: dict[str, Path]) -> list[dict]:
    """The flags of every buyer, read from scratch and the staged tables by a connection of its
    own (SQLite lets go of the GIL: they are built while the other tables are copied)."""
    with closing(sqlite3.connect(scratch)) as conn:
        _attached(conn, staged)
        return every_flag(conn)


def _attached(conn: sqlite3.Connection, staged: dict[str, Path]) -> dict[str, str]:
    """Attach each staging file of staged once; the name each table's file is attached as."""
    aliases = {path: f"staged{number}" for number, path in enumerate(dict.fromkeys(staged.values()))}
    for path, alias in aliases.items():
        conn.execute(f"ATTACH DATABASE ? AS {alias}", [str(path)])
    return {table: aliases[path] for table, path in staged.items()}


def _synced(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
