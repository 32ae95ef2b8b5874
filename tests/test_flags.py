"""The flags table (issue 10): built with the database, equal to what each indicator's SQL
gives on the same database after one load and after incremental loads and replacements, and
what the /inkop pages read."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3

import pytest
from openup.flags import run, stored_hit
from openup.indicators import INDICATORS
from openup.planted import A, B, planted_ledger
from openup_plugins.instance import make_datasette

from .conftest import run_openup
from .planted import load_ledger


def _comparable(hit: dict) -> str:
    return json.dumps({k: v for k, v in hit.items() if v is not None}, sort_keys=True, ensure_ascii=False)


def flags_and_sql(db) -> tuple[dict, dict]:
    """Per indicator, the hits in flaggor and the hits its SQL gives now, comparable."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        stored = {slug: sorted(_comparable(stored_hit(dict(r))) for r in conn.execute(
            "SELECT * FROM flaggor WHERE indikator = ?", [slug])) for slug in INDICATORS}
        conn.row_factory = None
        computed = {slug: sorted(map(_comparable, run(conn, indicator))) for slug, indicator in INDICATORS.items()}
    return stored, computed


def test_one_load_builds_every_indicators_hits(tmp_path):
    stored, computed = flags_and_sql(load_ledger(tmp_path, planted_ledger()))
    assert stored == computed
    assert all(stored.values())  # every indicator has hits in the planted ledger


def _write(path, ledger, lines):
    ledger.lines = lines
    return ledger.write(path)


def test_incremental_loads_and_replacements_keep_flags_equal_to_the_sql(tmp_path):
    ledger = planted_ledger()
    lines = list(ledger.lines)
    by = {
        "a_early.csv": [r for r in lines if r[0] == A[0] and r[7] < "2023"],
        "a_2023.csv": [r for r in lines if r[0] == A[0] and r[7] >= "2023"],
        "b.csv": [r for r in lines if r[0] == B[0]],
    }
    db = tmp_path / "openup.db"
    history = []
    for name, part in by.items():
        assert run_openup("load", "--db", db, _write(tmp_path / name, ledger, part)).exit_code == 0
        history.append(flags_and_sql(db))
    # B stops its year-end spike, and also buys from A's only supplier: hits go away at both.
    ensam = ledger.suppliers["Ensam"]
    changed = [r for r in by["b.csv"] if r[7] < "2023-12-25"]
    changed.append([*B, "99", "Ensam AB", ensam, "6420", "Konsulttjänster", "2023-06-02",
                    "Stadsledning", "F99", "10.00", "", "", "", ""])
    result = run_openup("load", "--db", db, "--replace", _write(tmp_path / "b.csv", ledger, changed))
    assert result.exit_code == 0, result.output
    history.append(flags_and_sql(db))
    for stored, computed in history:
        assert stored == computed
    before, after = history[2][0], history[3][0]
    assert len(after["arsslut"]) == len(before["arsslut"]) - 1
    assert any(ensam in h for h in before["en-kopare"]) and not any(ensam in h for h in after["en-kopare"])


def test_pages_read_the_table_not_the_ledger(tmp_path):
    """A copy whose invoices are gone still lists the hits: they come from flaggor."""
    built = load_ledger(tmp_path, planted_ledger())
    copy = tmp_path / "kopia.db"
    shutil.copy(built, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("DELETE FROM fakturor")
    datasette = make_datasette([copy], inspect=False)

    async def fetch(path):
        response = await datasette.client.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    for slug in ("dubbletter", "delade-fakturor", "benford"):
        body = asyncio.run(fetch(f"/inkop/flaggor/{slug}.json"))
        assert body["rows"], slug
        assert all(r["rader_url"].startswith("http://localhost/openup/leverantorsreskontra?")
                   for r in body["rows"])
    with_parameters = asyncio.run(fetch("/inkop/flaggor/dubbletter.json?min_belopp=1"))
    assert with_parameters["rows"] == []  # other parameters run the SQL, on the emptied invoices


@pytest.mark.parametrize("slug", list(INDICATORS))
def test_flags_are_described_for_sql_users(slug):
    from openup_plugins.instance import instance_metadata

    tables = instance_metadata(["openup"])["databases"]["openup"]["tables"]
    assert set(tables["flaggor"]["facets"]) == {"indikator", "ar", "kopare_id"}
    queries = instance_metadata(["openup"])["databases"]["openup"]["queries"]
    assert f"flaggor_{slug.replace('-', '_')}" in queries


def test_the_flags_table_links_each_hits_rows(tmp_path):
    db = load_ledger(tmp_path, planted_ledger())
    html = asyncio.run(make_datasette([db], inspect=False).client.get("/openup/flaggor?indikator=dubbletter")).text
    assert '<a href="/openup/leverantorsreskontra?' in html
