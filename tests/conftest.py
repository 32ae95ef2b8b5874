"""Shared fixtures: synthetic exports written by `openup sample`, and databases built from them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from openup.cli import main
from openup.sample import write_samples


def run_openup(*args: str):
    """Run the `openup` command in-process; returns click's Result (exit_code, output)."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def dump(db_path: Path) -> list[str]:
    """The whole database as SQL text: equal dumps mean equal databases."""
    with sqlite3.connect(db_path) as conn:
        return list(conn.iterdump())


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    write_samples(folder, rows=4000, seed=3)
    return folder


@pytest.fixture(scope="session")
def sample_db(sample_dir: Path, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("db") / "openup.db"
    result = run_openup("load", "--db", db, *sorted(sample_dir.iterdir()))
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def query(sample_db: Path):
    conn = sqlite3.connect(sample_db)
    conn.row_factory = sqlite3.Row

    def run(sql: str, params=()):
        return conn.execute(sql, params).fetchall()

    yield run
    conn.close()


@pytest.fixture
def register(tmp_path, monkeypatch) -> Path:
    """A small register of buyers (OPENUP_REGISTER): Umeå kommun's number as issue #9 gives it,
    and a made-up agency."""
    path = tmp_path / "register.csv"
    path.write_text("organisationsnummer,namn,typ,kommunkod\n"
                    "212000-2627,Umeå kommun,kommun,2480\n"
                    "202100-6255,Statens testverk,statlig myndighet,\n", "utf-8")
    monkeypatch.setenv("OPENUP_REGISTER", str(path))
    return path
