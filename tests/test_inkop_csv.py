"""Every table on the /inkop pages can be downloaded as CSV, with the JSON twin's rows and fields."""

from __future__ import annotations

import csv
import re
import sqlite3
from urllib.parse import parse_qs, urlsplit

import pytest
from openup_plugins.instance import make_datasette
from openup_plugins.swedish import number


@pytest.fixture(scope="module")
def datasette(sample_db):
    return make_datasette([sample_db])


@pytest.mark.parametrize("page", ["/inkop", "/inkop/kopare/212000-1355", "/inkop/leverantor/{largest}",
                                  "/inkop/kvalitet", "/inkop/flaggor",
                                  "/inkop/jamfor?kopare=212000-1355&kopare=232100-0131"])
async def test_each_table_of_a_page_as_csv_is_its_json(datasette, sample_db, page):
    with sqlite3.connect(sample_db) as conn:
        largest = conn.execute("SELECT leverantor_id FROM leverantorer ORDER BY summa DESC LIMIT 1").fetchone()[0]
    page = page.format(largest=largest)
    html = (await datasette.client.get(page)).text
    links = [link.replace("&amp;", "&") for link in re.findall(r'<a href="([^"]+)">Tabellen som CSV', html)]
    assert links, page
    path, _, query = page.partition("?")
    data = (await datasette.client.get(f"{path}.json" + (f"?{query}" if query else ""))).json()
    for link in links:
        table = parse_qs(urlsplit(link).query)["tabell"][0]
        expected = data
        for key in table.split("."):
            expected = expected[key]
        answer = await datasette.client.get(link)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv"), link
        rows = list(csv.DictReader(answer.text.splitlines()))
        assert len(rows) == len(expected), link
        for got, want in zip(rows, expected):
            assert {k: v for k, v in got.items() if not isinstance(want.get(k), (list, dict))} == {
                k: "" if v is None else str(v) for k, v in want.items() if not isinstance(v, (list, dict))}, link


async def test_an_unknown_table_names_the_ones_there_are(datasette):
    answer = await datasette.client.get("/inkop/kopare/212000-1355.csv?tabell=inget")
    assert answer.status_code == 400 and "storsta_leverantorer" in answer.json()["error"]


async def test_the_quality_page_links_its_counts_to_their_rows_and_cites_the_specification(datasette, sample_db):
    html = (await datasette.client.get("/inkop/kvalitet")).text
    with sqlite3.connect(sample_db) as conn:
        buyer, rows, masked = conn.execute("SELECT kopare_id, count(*), sum(maskerad) FROM leverantorsreskontra "
                                           "GROUP BY 1 ORDER BY 2 DESC LIMIT 1").fetchone()
    for link, count in ((f"/openup/leverantorsreskontra?kopare_id={buyer}", rows),
                        (f"/openup/leverantorsreskontra?kopare_id={buyer}&amp;maskerad=1", masked)):
        assert re.search(rf'<a href="{re.escape(link)}">{number(count)}</a>', html), link
        answer = (await datasette.client.get(link.replace("&amp;", "&").replace("?", ".json?") + "&_size=0")).json()
        assert answer["filtered_table_rows_count"] == count
    assert "lankadedata.se/spec/leverantorsreskontra" in html.split("Rekommendationer", 1)[1]
