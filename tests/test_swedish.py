"""Pages in Swedish words and Swedish numbers; JSON and CSV keep the plain ones."""

from __future__ import annotations

import re
import sqlite3

import pytest
from openup.schema import DOCUMENTED_TABLES
from openup_plugins.instance import make_datasette
from openup_plugins.swedish import HEADINGS, number, percent


@pytest.fixture(scope="module")
def datasette(sample_db):
    return make_datasette([sample_db])


def test_numbers_are_written_as_in_swedish():
    assert number(1234567.891, 2) == "1 234 567,89"
    assert number(-5.5, 2) == "-5,50" and number(13415) == "13 415" and percent(12.5) == "12,5 %"


def test_every_published_column_has_a_heading_in_words():
    assert not {c.name for t in DOCUMENTED_TABLES for c in t.columns} - set(HEADINGS)


async def test_a_table_page_has_headings_in_words_and_swedish_amounts(datasette, sample_db):
    with sqlite3.connect(sample_db) as conn:
        row_id, amount, year = conn.execute("SELECT id, nettobelopp, substr(bokforingsdatum, 1, 4) "
                                            "FROM leverantorsreskontra WHERE abs(nettobelopp) >= 1000 "
                                            "ORDER BY id LIMIT 1").fetchone()
    html = (await datasette.client.get(f"/openup/leverantorsreskontra?id={row_id}")).text
    headings = re.findall(r'<th [^>]*data-column="(\w+)"[^>]*>\s*(?:<a [^>]*>)?([^<]*)<span class="sql-name">', html)
    assert ("nettobelopp", "Belopp (kr)") in headings and ("kopare_id", "Köparens org.nr") in headings
    assert f">{number(amount, 2)}</td>" in html
    answer = (await datasette.client.get(f"/openup/leverantorsreskontra.json?id={row_id}&_shape=array")).json()
    assert answer[0]["nettobelopp"] == amount
    years = (await datasette.client.get(f"/openup/kopare_ar?ar={year}")).text
    assert f">{year}</td>" in years  # a year is not a count


async def test_pages_say_they_are_swedish_and_describe_a_filter_in_words(datasette):
    for path in ("/", "/openup", "/openup/kopare", "/inkop", "/openup/leverantorsreskontra?kopare_id=212000-1355"):
        assert '<html lang="sv">' in (await datasette.client.get(path)).text, path
    html = (await datasette.client.get("/openup/leverantorsreskontra?kopare_id=212000-1355&_sort_desc=nettobelopp")).text
    assert re.search(r"<h3>[\d ]+ rader där Köparens org.nr = ”212000-1355”, sorterat fallande efter Belopp", html)
    assert "Apply" not in html and 'value="Filtrera"' in html


async def test_the_csv_link_of_a_filtered_page_gives_every_row(datasette, sample_db):
    buyer = "212000-1355"
    with sqlite3.connect(sample_db) as conn:
        count = conn.execute("SELECT count(*) FROM leverantorsreskontra WHERE kopare_id = ?", [buyer]).fetchone()[0]
    html = (await datasette.client.get(f"/openup/leverantorsreskontra?kopare_id={buyer}&_size=10")).text
    link = re.search(r'eller <a href="([^"]+)">CSV</a>', html).group(1).replace("&amp;", "&")
    assert count > 10 and len((await datasette.client.get(link)).text.splitlines()) == count + 1


DATASETTE_ENGLISH = ("This data as", "Custom SQL query", 'value="Apply"', "Run SQL", "Next page", "rows where",
                     "Data license", "Data source", "Links from other tables", "Error 404", ">home<",
                     "Advanced export", "Powered by", "0 results", "Query parameters", "Tables</h2>")


@pytest.mark.parametrize("path", [
    "/openup", "/openup/leverantorsreskontra?_size=3", "/openup/leverantorsreskontra/1", "/openup/kopare",
    "/openup?sql=select+kopare_id,+summa+from+kopare", "/openup/ingen_tabell", "/openup/avvisade_rader?_size=2",
])
async def test_datasette_pages_speak_swedish(datasette, path):
    html = (await datasette.client.get(path)).text
    assert not [words for words in DATASETTE_ENGLISH if words in html], path


async def test_csv_for_excel_has_every_row_of_the_page_with_semicolons_and_decimal_commas(datasette, sample_db):
    import csv

    buyer = "212000-1355"
    with sqlite3.connect(sample_db) as conn:
        expected = conn.execute("SELECT id, nettobelopp FROM leverantorsreskontra WHERE kopare_id = ? "
                                "ORDER BY nettobelopp DESC, id", [buyer]).fetchall()
    html = (await datasette.client.get(f"/openup/leverantorsreskontra?kopare_id={buyer}&_sort_desc=nettobelopp")).text
    link = re.search(r'<a href="([^"]+)">CSV för Excel</a>', html).group(1).replace("&amp;", "&")
    answer = await datasette.client.get(link)
    assert answer.status_code == 200 and answer.content.startswith("\ufeff".encode())
    rows = list(csv.reader(answer.content.decode("utf-8-sig").splitlines(), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["id", "kopare_id"] and len(body) == len(expected) > 1000  # past Datasette's pages
    shown = [(int(r[header.index("id")]), r[header.index("nettobelopp")]) for r in body]
    assert shown == [(i, repr(amount).replace(".", ",")) for i, amount in expected]
    assert (await datasette.client.get("/openup/ingen_tabell.excel.csv")).status_code == 404
