"""Loads and servers share a database file safely (issue 11): a load into a served file, or
beside another load, is refused with what to do; a full disk leaves the database as it was."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

from openup import locks

from .browser import serving
from .conftest import dump, run_openup
from .files import write_v11


def _loaded(tmp_path) -> Path:
    db = tmp_path / "d.db"
    assert run_openup("load", "--db", db, write_v11(tmp_path / "a_2023-01.csv", 40)).exit_code == 0
    return db


def test_a_load_into_a_served_database_is_refused(tmp_path):
    db = _loaded(tmp_path)
    before = dump(db)
    with serving(db):
        result = run_openup("load", "--db", db, write_v11(tmp_path / "b_2023-02.csv", 40, month="2023-02"))
    assert result.exit_code == 1
    assert "publiceras av en körande `openup serve`" in result.output
    assert dump(db) == before


def test_a_second_load_says_another_is_running(tmp_path):
    db = _loaded(tmp_path)
    with locks.loading(db):  # what a running `openup load` holds
        result = run_openup("load", "--db", db, write_v11(tmp_path / "b_2023-02.csv", 40, month="2023-02"))
    assert result.exit_code == 1
    assert "en annan `openup load` skriver redan" in result.output


def test_a_server_does_not_start_on_a_database_being_loaded(tmp_path):
    db = _loaded(tmp_path)
    with locks.loading(db):
        result = run_openup("serve", db, "--port", "1")
    assert result.exit_code == 1 and "skriver i" in result.output


def _load_on_a_small_disk(db: Path, csv: Path, free_bytes: int) -> subprocess.CompletedProcess:
    """`openup load` where no file may grow past free_bytes more than the database is now."""
    limit = (db.stat().st_size if db.exists() else 0) + free_bytes

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    openup = Path(sys.executable).parent / "openup"
    return subprocess.run([openup, "load", "--db", db, csv], preexec_fn=small_disk,
                          capture_output=True, text=True, timeout=120)


def test_a_full_disk_leaves_the_database_as_it_was(tmp_path):
    db = _loaded(tmp_path)
    before = dump(db)
    result = _load_on_a_small_disk(db, write_v11(tmp_path / "big_2023-02.csv", 20_000, month="2023-02"), 200_000)
    assert result.returncode == 1, result.stderr
    assert "disken är full" in result.stderr and "Traceback" not in result.stderr
    assert dump(db) == before and not Path(f"{db}-journal").exists()


def test_a_full_disk_leaves_no_new_database_behind(tmp_path):
    db = tmp_path / "ny.db"
    result = _load_on_a_small_disk(db, write_v11(tmp_path / "big_2023-02.csv", 20_000, month="2023-02"), 300_000)
    assert result.returncode == 1, result.stderr
    assert "disken är full" in result.stderr
    assert not db.exists() and not Path(f"{db}-journal").exists()
