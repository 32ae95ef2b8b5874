"""Loading again changes nothing; --replace reloads; a killed load leaves the database as it was."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .browser import serving
from .conftest import dump, run_openup
from .files import v11_lines, write_v11


def totals(db: Path) -> tuple:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM leverantorsreskontra), (SELECT round(sum(nettobelopp), 2) "
            "FROM leverantorsreskontra), (SELECT sum(rader) FROM kopare_leverantor_manad), "
            "(SELECT sum(konteringar) FROM fakturor), (SELECT count(*) FROM kallfiler)").fetchone()


def test_same_file_twice_is_skipped(tmp_path):
    db, path = tmp_path / "i.db", write_v11(tmp_path / "a_2023-01.csv", 30)
    assert run_openup("load", "--db", db, path).exit_code == 0
    before = dump(db)
    result = run_openup("load", "--db", db, path)
    assert result.exit_code == 0
    assert "överhoppad" in result.output and "redan inläst" in result.output
    assert dump(db) == before


def test_same_rows_under_another_name_are_not_counted_twice(tmp_path):
    db = tmp_path / "i.db"
    first = write_v11(tmp_path / "a_2023-01.csv", 30)
    again = tmp_path / "a_2023-01_igen.csv"
    again.write_bytes(first.read_bytes().replace(b"\n", b"\r\n"))  # other bytes, same rows
    assert run_openup("load", "--db", db, first).exit_code == 0
    before = totals(db)
    result = run_openup("load", "--db", db, again)
    assert result.exit_code == 0
    assert "samma rader som redan inlästa a_2023-01.csv" in result.output
    assert totals(db) == before


def test_different_rows_with_equal_totals_are_loaded(tmp_path):
    db = tmp_path / "i.db"
    lines = v11_lines(10)
    shuffled = [lines[0]] + [l.replace("Konsulttjänster", "Revision") for l in lines[1:]]
    (tmp_path / "a_2023-01.csv").write_text("\n".join(lines))
    (tmp_path / "b_2023-01.csv").write_text("\n".join(shuffled))
    result = run_openup("load", "--db", db, tmp_path / "a_2023-01.csv", tmp_path / "b_2023-01.csv")
    assert result.exit_code == 0
    assert totals(db)[0] == 20


def test_replace_reloads_and_keeps_totals_consistent(tmp_path):
    db = tmp_path / "i.db"
    path = write_v11(tmp_path / "a_2023-01.csv", 30, seed=1)
    other = write_v11(tmp_path / "b_2023-02.csv", 20, seed=2, month="2023-02")
    assert run_openup("load", "--db", db, path, other).exit_code == 0
    loaded_once = totals(db)
    write_v11(path, 25, seed=3)  # a corrected export under the same name
    refused = run_openup("load", "--db", db, path)
    assert refused.exit_code == 1 and "--replace" in refused.output
    assert run_openup("load", "--db", db, "--replace", path).exit_code == 0
    rows, amount, summarised, invoiced, files = totals(db)
    assert (rows, files) == (45, 2)
    assert summarised == invoiced == rows
    write_v11(path, 30, seed=1)
    assert run_openup("load", "--db", db, "--replace", path).exit_code == 0
    assert totals(db)[:4] == loaded_once[:4]


def test_killed_load_leaves_the_database_as_it_was(tmp_path):
    db = tmp_path / "k.db"
    assert run_openup("load", "--db", db, write_v11(tmp_path / "a_2023-01.csv", 40)).exit_code == 0
    before = dump(db)
    big = write_v11(tmp_path / "big_2023-02.csv", 300_000, month="2023-02")
    openup = Path(sys.executable).parent / "openup"
    process = subprocess.Popen([openup, "load", "--db", db, big], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    journal = Path(f"{db}-journal")
    deadline = time.monotonic() + 60
    while not journal.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    size = db.stat().st_size
    while db.stat().st_size == size and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # until pages are written into the file: its journal is then "hot"
    assert process.poll() is None, "the load finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert journal.exists()  # the interrupted transaction left its rollback journal
    served = tmp_path / "served"
    served.mkdir()
    shutil.copy(db, served / db.name)
    shutil.copy(journal, served / journal.name)
    with serving(served / db.name) as base:  # a server started on it rolls the load back
        assert urllib.request.urlopen(f"{base}/inkop.json").status == 200
    assert not (served / journal.name).exists() and dump(served / db.name) == before
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert dump(db) == before
    assert list(tmp_path.glob(".k.db.staging-*"))  # the killed load's staging file, beside the database
    assert run_openup("load", "--db", db, write_v11(tmp_path / "c_2023-03.csv", 10, month="2023-03")).exit_code == 0
    assert not list(tmp_path.glob(".k.db.staging-*"))  # removed by the next load


def test_a_stopped_load_rolls_back_and_leaves_nothing_behind(tmp_path):
    """SIGTERM (a service stopped, a timeout) ends a load as Ctrl-C does."""
    db = tmp_path / "t.db"
    assert run_openup("load", "--db", db, write_v11(tmp_path / "a_2023-01.csv", 40)).exit_code == 0
    before = dump(db)
    big = write_v11(tmp_path / "big_2023-02.csv", 300_000, month="2023-02")
    process = subprocess.Popen([Path(sys.executable).parent / "openup", "load", "--db", db, big],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".t.db.staging-*")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # into the file's rows
    assert process.poll() is None, "the load finished before it could be stopped"
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 128 + signal.SIGTERM
    assert dump(db) == before
    assert not list(tmp_path.glob(".t.db.staging-*")) and not Path(f"{db}-journal").exists()
