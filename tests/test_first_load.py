"""A first load writes the database as a new file (scripts/firstload.py): the same database as
rows copied into it would give, nothing changed if it is killed, and no server let in meanwhile."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from openup.database import connect, ensure_schema
from openup.loader import LoadOptions, _load_staged
from openup.locks import serving
from openup.profiles import builtin_profiles
from openup.reading import read_ledger

from .conftest import dump, run_openup
from .files import write_v11

OPENUP = Path(sys.executable).parent / "openup"
_LOAD_TIME = {"kallfiler": "inlast", "databasinfo": "varde"}  # what says when, not what


def contents(db: Path) -> dict[str, list]:
    """Every table's rows (sorted; full-text indexes' own tables left out, their searches
    compared instead) and the schema, with the load's clock readings blanked."""
    with sqlite3.connect(db) as conn:
        schema = sorted(sql for sql, in conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"))
        tables = [name for name, in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                 "AND name NOT LIKE '%_fts%'")]
        found = {"schema": schema}
        for table in tables:
            rows = conn.execute(f"SELECT * FROM [{table}]").fetchall()
            names = [d[0] for d in conn.execute(f"SELECT * FROM [{table}] LIMIT 0").description]
            if table in _LOAD_TIME:
                blanked = names.index(_LOAD_TIME[table])
                rows = [tuple("…" if i == blanked and (table != "databasinfo" or row[0] == "senast_inlast")
                              else value for i, value in enumerate(row)) for row in rows]
            found[table] = sorted(rows, key=repr)
        for fts in ("leverantorer_fts", "konton_fts"):
            found[fts] = sorted(conn.execute(f"SELECT rowid FROM {fts} WHERE {fts} MATCH 'ab' OR {fts} MATCH 'AB'"))
        return found


def load_by_copying(db_path: Path, path: Path) -> None:
    """The load into an empty ledger as into any other: the staged rows copied into the database."""
    db = connect(db_path)
    ensure_schema(db)
    options = LoadOptions()
    result = _load_staged(db, path, read_ledger(path, builtin_profiles(), options), options, [], lambda n: None)
    assert result.status == "inläst", result.message
    db.conn.close()


def shuffled_copy(path: Path, target: Path, seed: int) -> Path:
    header, *lines = path.read_text("utf-8").splitlines()
    random.Random(seed).shuffle(lines)
    target.write_text("\n".join([header, *lines]) + "\n", "utf-8")
    return target


def test_a_first_load_gives_the_database_rows_copied_in_would(sample_dir, tmp_path):
    files = sorted(sample_dir.iterdir())
    csv = next(f for f in files if f.suffix == ".csv")
    for number, path in enumerate([*files, shuffled_copy(csv, tmp_path / csv.name, seed=5)]):
        new, copied = tmp_path / f"new{number}" / "openup.db", tmp_path / f"copied{number}" / "openup.db"
        new.parent.mkdir()
        copied.parent.mkdir()
        assert run_openup("load", "--db", new, path).exit_code == 0
        load_by_copying(copied, path)
        new_contents, copied_contents = contents(new), contents(copied)
        assert new_contents["leverantorsreskontra"], path.name
        assert new_contents == copied_contents, path.name
        with sqlite3.connect(new) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert not list(new.parent.glob(".openup.db.staging-*"))


def test_a_first_load_then_more_files_sums_every_file(tmp_path):
    db = tmp_path / "m.db"
    files = [write_v11(tmp_path / f"{m}.csv", 40, seed=n, month=f"2023-{m:02d}") for n, m in enumerate((1, 2, 3))]
    assert run_openup("load", "--db", db, *files).exit_code == 0
    with sqlite3.connect(db) as conn:
        rows, files_loaded, summarised = conn.execute(
            "SELECT (SELECT count(*) FROM leverantorsreskontra), (SELECT count(*) FROM kallfiler), "
            "(SELECT sum(rader) FROM kopare_manad)").fetchone()
    assert (rows, files_loaded, summarised) == (120, 3, 120)


def test_a_killed_first_load_leaves_the_database_as_it_was(tmp_path):
    big = write_v11(tmp_path / "big_2023-02.csv", 60_000, month="2023-02")
    whole_db = tmp_path / "whole" / "k.db"  # the name the flags' links give, as the others'
    whole_db.parent.mkdir()
    started = time.monotonic()
    subprocess.run([OPENUP, "load", "--db", whole_db, big], check=True, capture_output=True)
    whole = time.monotonic() - started
    ended_first = []
    for share in (0.2, 0.6, 0.85, 0.95):  # reading, indexing, copying the rest in, renaming
        db = tmp_path / f"killed at {share}" / "k.db"
        db.parent.mkdir()
        ensure_schema(connect(db))
        before = dump(db)
        process = subprocess.Popen([OPENUP, "load", "--db", db, big], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(share * whole)
        if process.poll() is not None:
            ended_first.append(share)
            continue
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # as it was, or, killed once the new file was renamed into place, as loaded whole
        assert dump(db) == before or contents(db) == contents(whole_db), share
        assert run_openup("load", "--db", db, write_v11(tmp_path / "c_2023-03.csv", 10, month="2023-03")).exit_code == 0
        assert not list(db.parent.glob(".k.db.staging-*"))  # the killed load's, removed by the next
    assert len(ended_first) < 2, f"the load ended before it could be killed at {ended_first} of {whole:.1f} s"


def test_no_server_starts_on_the_new_file_while_the_load_goes_on(tmp_path):
    db = tmp_path / "s.db"
    ensure_schema(connect(db))
    os.chmod(db, 0o640)
    first = write_v11(tmp_path / "a_2023-01.csv", 20)
    big = write_v11(tmp_path / "big_2023-02.csv", 60_000, month="2023-02")
    inode = db.stat().st_ino
    process = subprocess.Popen([OPENUP, "load", "--db", db, first, big], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while db.stat().st_ino == inode and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, "the load ended before the file was replaced"
    assert db.stat().st_mode & 0o777 == 0o640  # the new file keeps the old one's permissions
    with pytest.raises(click.ClickException, match="openup load"):
        with serving([db]):
            pass
    assert process.wait(120) == 0
    with serving([db]):
        pass
