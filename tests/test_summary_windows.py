"""Summaries folded in many small chunks, combined and written out mid-file, come to the same
tables as when each file fits in one chunk (as the sample's files do at the default sizes)."""

import sqlite3

import pytest

from openup import reading, summaries

from .conftest import run_openup

SUMMARY_TABLES = ("kopare_leverantor_manad", "kopare_konto_manad", "kopare_forvaltning_manad",
                  "leverantor_konto", "leverantorsnamn", "kopare_kvalitet", "kallfil_kopare", "kopare",
                  "leverantorer", "konton")
INVOICES = ("SELECT kopare_id, leverantor_nyckel, fakturanyckel, bokforingsdatum, datum_precision, ar, "
            "round(sum(summa), 2), sum(konteringar), max(har_avtal), min(forsta_kallrad), count(*) "
            "FROM fakturor GROUP BY 1, 2, 3, 4")


@pytest.fixture(scope="module")
def small_windows_db(sample_dir, tmp_path_factory):
    limits = {(summaries, "_CHUNK_ROWS"): 7, (summaries, "_KEPT_PARTIALS"): 2,
              (summaries, "_OPEN_TOTALS"): 150, (summaries, "_OPEN_INVOICES"): 40,
              (summaries, "_WRITTEN_ROWS"): 7, (reading, "BATCH_LINES"): 3}
    with pytest.MonkeyPatch.context() as patch:
        for (module, name), value in limits.items():
            assert getattr(module, name) > value
            patch.setattr(module, name, value)
        db = tmp_path_factory.mktemp("small") / "openup.db"
        result = run_openup("load", "--db", db, *sorted(sample_dir.iterdir()))
    assert result.exit_code == 0, result.output
    return db


def _rows(db, sql):
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute(sql).fetchall(), key=repr)


@pytest.mark.parametrize("table", SUMMARY_TABLES)
def test_small_windows_give_the_same_summaries(sample_db, small_windows_db, table):
    expected = _rows(sample_db, f"SELECT * FROM {table}")
    assert expected
    assert _rows(small_windows_db, f"SELECT * FROM {table}") == expected


def test_small_windows_give_the_same_invoices(sample_db, small_windows_db):
    expected = _rows(sample_db, INVOICES)
    assert len(expected) > 1000
    assert _rows(small_windows_db, INVOICES) == expected
    count = "SELECT count(*) FROM fakturor"
    assert _rows(small_windows_db, count) == _rows(sample_db, count)  # no invoice split in two
