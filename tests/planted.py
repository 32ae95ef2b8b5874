"""The planted ledger (openup.planted), written and loaded for a test."""

from __future__ import annotations

from pathlib import Path

from openup.planted import A, B, Ledger, planted_ledger

__all__ = ["A", "B", "Ledger", "load_ledger", "planted_ledger"]


def load_ledger(folder: Path, ledger: Ledger, name: str = "openup") -> Path:
    """The ledger written to folder and loaded with `openup load`: the database's path."""
    from .conftest import run_openup

    db = folder / f"{name}.db"
    result = run_openup("load", "--db", db, ledger.write(folder / f"{name}.csv"))
    assert result.exit_code == 0, result.output
    return db
