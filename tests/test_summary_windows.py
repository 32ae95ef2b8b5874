"""Summaries folded in many small chunks, combined and written out mid-file, and taken back by
--replace, come to the same tables as when each file fits in one chunk (as the sample's files
do at the default sizes)."""

import sqlite3

import pytest
from openup import rawframes, sources, summaries

from .conftest import run_openup

SUMMARIES = {table: f"SELECT * FROM {table}" for table in (
    "kopare_leverantor_manad", "kopare_manad", "kopare_leverantor_ar", "kopare_ar", "kopare_konto_manad",
    "kopare_forvaltning_manad", "kopare_dag", "leverantor_konto",
    "leverantorsnamn", "namnnycklade_leverantorer", "kopare_kvalitet", "kopare", "leverantorer", "konton")}
# a replaced file has a new id: its buyers are compared by its name
SUMMARIES["kallfil_kopare"] = ("SELECT filnamn, kopare_id, b.rader FROM kallfil_kopare b "
                               "JOIN kallfiler f ON f.id = b.kallfil_id")
INVOICES = ("SELECT kopare_id, leverantor_nyckel, fakturanyckel, verifikationsnummer, fakturanummer, "
            "bokforingsdatum, datum_precision, ar, summa, konteringar, har_avtal, forsta_kallrad "
            "FROM fakturor")


@pytest.fixture(scope="module")
def small_windows_db(sample_dir, tmp_path_factory):
    limits = {(summaries, "_CHUNK_ROWS"): 7, (summaries, "_KEPT_PARTIALS"): 2,
              (summaries, "_OPEN_TOTALS"): 150, (summaries, "_WRITTEN_ROWS"): 7,
              (rawframes, "READ_BYTES"): 20_000, (sources, "RECORDS_PER_BATCH"): 50}
    with pytest.MonkeyPatch.context() as patch:
        for (module, name), value in limits.items():
            assert getattr(module, name) > value
            patch.setattr(module, name, value)
        db = tmp_path_factory.mktemp("small") / "openup.db"
        files = sorted(sample_dir.iterdir())
        result = run_openup("load", "--db", db, *files)
        assert result.exit_code == 0, result.output
        # a file taken back (its totals folded with sign -1) and loaded again changes nothing
        largest = max(files, key=lambda f: f.stat().st_size)
        result = run_openup("load", "--db", db, "--replace", largest)
    assert result.exit_code == 0, result.output
    assert f"{largest.name}: inläst;" in result.output
    return db


def _rows(db, sql):
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute(sql).fetchall(), key=repr)


@pytest.mark.parametrize("sql", SUMMARIES.values(), ids=SUMMARIES.keys())
def test_small_windows_give_the_same_summaries(sample_db, small_windows_db, sql):
    expected = _rows(sample_db, sql)
    assert expected
    assert _rows(small_windows_db, sql) == expected


def test_small_windows_give_the_same_invoices(sample_db, small_windows_db):
    expected = _rows(sample_db, INVOICES)
    assert len(expected) > 1000
    assert _rows(small_windows_db, INVOICES) == expected
    count = "SELECT count(*) FROM fakturor"
    assert _rows(small_windows_db, count) == _rows(sample_db, count)  # no invoice split in two
