"""New rows of a table written in bulk: Arrow batches into a staging file by ADBC, then copied
into the database by one statement inside the load's transaction.

Python's sqlite3 binds each value of each row from a Python object; the ADBC driver binds
Arrow arrays in C, so rows normalised by Polars never become Python objects. The staging file
is a database of its own that only ADBC writes: ADBC links a SQLite of its own, and two SQLite
libraries must not write one file in one process (closing a file releases the other's POSIX
locks). The database's connection reads the staging file only after ADBC has closed it, and
copies its rows with `INSERT INTO … SELECT *`, which SQLite runs as a page-level transfer when
the table is empty and has the same indexes as the staged one (a first load drops the ledger's
indexes and builds them after; the invoices' are built in the staging file meanwhile).

Each staging file is written by ADBC in a thread of its own (ADBC lets go of the GIL), so a batch
is written while the next is read and normalised, and one file's indexes are built while the
other's are; one batch per file waits at most, so memory stays flat.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

import adbc_driver_manager as adbc
import adbc_driver_sqlite
import polars as pl

from .database import PAGE_SIZE, SORT_THREADS, database_path

class Staging:
    """New rows of one of conn's tables gathered in a staging file of their own, attached to conn
    as `staged_<table>`; use as a context manager around the load's transaction (SQLite attaches
    files only outside one), begun DEFERRED: BEGIN IMMEDIATE takes a lock on every attached file
    at once, this one too, where ADBC writes."""

    def __init__(self, conn: sqlite3.Connection, table: str, also: dict[str, str] | None = None):
        self.conn, self.table, self.alias = conn, table, f"staged_{table}"
        self.also = also or {}  # further tables staged in the same file: name -> CREATE TABLE
        self.create, self.indexes = table_definition(conn, table)
        self.columns = [row[1] for row in conn.execute(f"PRAGMA table_info([{table}])")]
        self.directory = staging_folder(database_path(conn))
        self.path = self.directory / "staging.db"
        self.writer = None
        self.thread = ThreadPoolExecutor(1, thread_name_prefix=f"adbc-{table}")  # the writer's, in order
        self.writing: Future | None = None

    def __enter__(self) -> Staging:
        try:
            self.writer = _Writer(self.path)
            for sql in (f"PRAGMA page_size = {PAGE_SIZE}", "PRAGMA journal_mode = OFF", "PRAGMA synchronous = OFF",
                        f"PRAGMA threads = {SORT_THREADS}",
                        self.create, *self.also.values(), "BEGIN"):
                self.writer.execute(sql)  # a throwaway file: no journal
            self.conn.execute(f"ATTACH DATABASE ? AS {self.alias}", [str(self.path)])
            self.conn.execute(f"PRAGMA {self.alias}.cache_size = {self.conn.execute('PRAGMA cache_size').fetchone()[0]}")
        except BaseException:
            self._close_writer(commit=False)
            self._remove()
            raise
        return self

    def add(self, frame: pl.DataFrame, table: str | None = None) -> None:
        """Stage rows: of the table (a frame with its columns, ids given), or of one of `also`."""
        rows = frame.select(self.columns) if table is None else frame
        self._written()
        self.writing = self.thread.submit(self.writer.ingest, table or self.table, rows)

    def staged(self, table: str) -> str:
        """A table of the staging file as conn names it (readable once copy() has run)."""
        return f"{self.alias}.[{table}]"

    def index_meanwhile(self) -> None:
        """Give the staged rows the table's indexes, in ADBC's thread, while conn does other work:
        an empty table with the same indexes then takes the rows and the indexes as they are."""
        self.meanwhile(self.indexes)

    def meanwhile(self, statements: list[str]) -> None:
        """Run statements on the staging file in ADBC's thread, while conn does other work."""
        self._written()
        execute = self.writer.execute  # not once the writer is closed: an error here, not lost in the thread
        self.writing = self.thread.submit(lambda: [execute(sql) for sql in statements])

    def written(self) -> None:
        """Finish writing the staging file: conn may read it from now on."""
        self._written()
        self._close_writer(commit=True)
        # conn read the file's schema when it attached it: reading the file checks the schema's
        # version and reads it again, so that a statement naming what ADBC has built since (a
        # unique index an upsert needs) is not compiled against the old one
        self.conn.execute(f"SELECT count(*) FROM {self.alias}.sqlite_master").fetchone()

    def copy(self) -> None:
        """Copy the staged rows into the table, in conn's transaction."""
        self.written()
        self.conn.execute(f"INSERT INTO main.[{self.table}] SELECT * FROM {self.alias}.[{self.table}]")

    def __exit__(self, *exc) -> None:
        try:
            if self.writing is not None:  # what ADBC was doing when the load failed
                wait([self.writing])
            self._close_writer(commit=False)
            if not self.conn.in_transaction:
                self.conn.execute(f"DETACH DATABASE {self.alias}")
        finally:
            self.thread.shutdown()
            self._remove()

    def _written(self) -> None:
        """Wait for what ADBC's thread is doing; its error, if it failed, is raised here."""
        if self.writing is not None:
            writing, self.writing = self.writing, None
            writing.result()

    def _close_writer(self, commit: bool) -> None:
        if self.writer is not None:
            writer, self.writer = self.writer, None
            try:
                if commit:
                    writer.execute("COMMIT")
            finally:
                writer.close()

    def _remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def table_definition(conn: sqlite3.Connection, table: str) -> tuple[str, list[str]]:
    """The CREATE TABLE statement of conn's table and the CREATE INDEX statements of its indexes
    (those of its keys come with the table)."""
    create = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()[0]
    indexes = [sql for sql, in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", [table])]
    return create, indexes


def staging_folder(database: Path) -> Path:
    """A new folder for a load's staging files of database: beside it, on its disk, whose room a
    load needs anyway (a temporary folder may be small, or memory), and found again by the next
    load if this one is killed."""
    return Path(tempfile.mkdtemp(prefix=_prefix(database), dir=database.parent))


def remove_leftovers(database: Path) -> None:
    """Remove the staging folders a killed load of database left (call it holding the load lock)."""
    for folder in database.parent.glob(f"{_prefix(database)}*"):
        shutil.rmtree(folder, ignore_errors=True)


def _prefix(database: Path) -> str:
    return f".{database.name}.staging-"


class _Writer:
    """ADBC's SQLite driver on the staging file, through its own API (its DB-API layer would
    load pyarrow, some 60 MiB, for nothing: Polars hands it Arrow data directly)."""

    def __init__(self, path: Path):
        self.database = adbc_driver_sqlite.connect(str(path))
        self.connection = adbc.AdbcConnection(self.database)
        self.connection.set_autocommit(True)  # transactions are begun and committed as statements

    def execute(self, sql: str) -> None:
        with adbc.AdbcStatement(self.connection) as statement:
            statement.set_sql_query(sql)
            _written_by_adbc(statement.execute_update)

    def ingest(self, table: str, rows: pl.DataFrame) -> None:
        with adbc.AdbcStatement(self.connection) as statement:
            statement.set_options(**{adbc.INGEST_OPTION_TARGET_TABLE: table,
                                     adbc.INGEST_OPTION_MODE: adbc.INGEST_OPTION_MODE_APPEND})
            statement.bind_stream(rows)
            _written_by_adbc(statement.execute_update)

    def close(self) -> None:
        self.connection.close()
        self.database.close()


def _written_by_adbc(write) -> None:
    """write(), with ADBC's errors as sqlite3's, so a full disk is reported alike."""
    try:
        write()
    except adbc.Error as error:
        raise sqlite3.OperationalError(str(error)) from error
