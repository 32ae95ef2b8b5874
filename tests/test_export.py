"""`openup export`: per-buyer files in the national specification's columns, served and linked."""

from __future__ import annotations

import csv
from urllib.parse import urlsplit
import sqlite3

import pytest
from openup.columns import PUBLISHED_COLUMNS
from openup_plugins.instance import make_datasette

from .conftest import run_openup


@pytest.fixture(scope="module")
def exports(sample_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("exporter")
    result = run_openup("export", "--db", sample_db, folder)
    assert result.exit_code == 0, result.output
    return folder


def test_one_folder_per_buyer_with_a_csv_per_year(exports, sample_db):
    with sqlite3.connect(sample_db) as conn:
        expected = {(b, y) for b, y in conn.execute(
            "SELECT DISTINCT kopare_id, substr(bokforingsdatum, 1, 4) FROM leverantorsreskontra")}
        for buyer, year in expected:
            with (exports / buyer / f"leverantorsreskontra_{buyer}_{year}.csv").open(encoding="utf-8") as f:
                rows = list(csv.reader(f))
            assert rows[0] == list(PUBLISHED_COLUMNS)
            count = conn.execute("SELECT count(*) FROM leverantorsreskontra WHERE kopare_id = ? "
                                 "AND bokforingsdatum LIKE ?", [buyer, f"{year}%"]).fetchone()[0]
            assert len(rows) - 1 == count
    assert {(p.parent.name, p.stem[-4:]) for p in exports.glob("*/*.csv")} == expected


def test_exported_csv_is_a_conformant_file_our_loader_reads_back(exports, tmp_path, sample_db):
    path = exports / "212000-1355" / "leverantorsreskontra_212000-1355_2023.csv"
    report = run_openup("validate", "--json", path)
    assert '"profil": "nationell-1.1"' in report.output
    assert '"saknade_obligatoriska_kolumner": []' in report.output
    db = tmp_path / "again.db"
    assert run_openup("load", "--db", db, path).exit_code == 0
    # Göteborg gives only the month: read back, its rows must still be of their month, not the 1st.
    query = ("SELECT datum_precision, round(sum(nettobelopp), 2), count(*) FROM leverantorsreskontra "
             "WHERE kopare_id = '212000-1355' AND bokforingsdatum LIKE '2023%' GROUP BY 1 ORDER BY 1")
    with sqlite3.connect(db) as again, sqlite3.connect(sample_db) as original:
        assert again.execute(query).fetchall() == original.execute(query).fetchall()
        assert "manad" in {row[0] for row in original.execute(query)}


def test_buyer_database_holds_its_rows_only(exports, sample_db):
    with sqlite3.connect(exports / "212000-1967" / "leverantorsreskontra_212000-1967.db") as conn:
        buyers = {r[0] for r in conn.execute("SELECT DISTINCT kopare_id FROM leverantorsreskontra")}
        columns = [r[1] for r in conn.execute("PRAGMA table_info(leverantorsreskontra)")]
    assert buyers == {"212000-1967"}
    assert columns == list(PUBLISHED_COLUMNS)


async def test_instance_serves_and_links_the_files(exports, sample_db):
    datasette = make_datasette([sample_db], exports=exports)
    page = await datasette.client.get(f"/{sample_db.stem}/kopare/212000-1355")
    assert page.status_code == 200
    assert "/exporter/212000-1355/leverantorsreskontra_212000-1355_2023.csv" in page.text
    download = await datasette.client.get("/exporter/212000-1355/leverantorsreskontra_212000-1355_2023.csv")
    assert download.status_code == 200
    assert download.text.splitlines()[0] == ",".join(PUBLISHED_COLUMNS)


async def test_the_export_folder_lists_every_buyer_with_its_files(exports, sample_db):
    datasette = make_datasette([sample_db], exports=exports)
    listing = (await datasette.client.get("/exporter.json")).json()["rows"]
    on_disk = {p.parent.name: sorted(f.name for f in p.parent.iterdir()) for p in exports.glob("*/*.db")}
    assert {b["kopare_id"]: sorted(f["namn"] for f in b["filer"]) for b in listing} == on_disk
    page = (await datasette.client.get("/exporter/")).text
    assert all(f["url"] in page for b in listing for f in b["filer"]) and "Göteborgs Stad" in page
    answer = await datasette.client.get(urlsplit(listing[0]["filer"][0]["url"]).path)
    assert answer.status_code == 200
