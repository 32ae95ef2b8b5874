"""Every figure on the /inkop pages links to the ledger rows behind it, and those rows add up to
the figure: the filtered ledger page's count and sum equal the row's rader and summa."""

from __future__ import annotations

import re
import sqlite3

import pytest
from openup_plugins.instance import make_datasette
from openup_plugins.swedish import number
from openup_plugins.patterns.tables_csv import tables_of


@pytest.fixture(scope="module")
def datasette(sample_db):
    return make_datasette([sample_db])


def _pages(sample_db) -> list[str]:
    with sqlite3.connect(sample_db) as conn:
        supplier = conn.execute("SELECT leverantor_id FROM leverantorer ORDER BY summa DESC LIMIT 1").fetchone()[0]
        account = conn.execute("SELECT konto_nr FROM kopare_konto_manad GROUP BY 1 ORDER BY count(*) DESC").fetchone()[0]
    return ["/inkop", "/inkop?ar=2023", "/inkop/kopare/212000-1355", "/inkop/kopare/232100-0131",
            "/inkop/kopare/212000-9010?ar=2022",
            f"/inkop/leverantor/{supplier}", "/inkop/jamfor?kopare=212000-1355&kopare=232100-0131",
            f"/inkop/jamfor?kopare=212000-1355&kopare=232100-0131&konto={account}",
            f"/inkop/jamfor?kopare=212000-1355&kopare=232100-0131&leverantor={supplier}",
            f"/inkop/jamfor?kopare=212000-1355&kopare=232100-0131&leverantor={supplier}&konto={account}"]


async def test_every_figure_links_to_rows_that_add_up_to_it(datasette, sample_db):
    checked = 0
    for page in _pages(sample_db):
        path, _, query = page.partition("?")
        data = (await datasette.client.get(f"{path}.json" + (f"?{query}" if query else ""))).json()
        html = (await datasette.client.get(page)).text
        for name, rows in tables_of(data).items():
            for row in (r for r in rows if "summa" in r and r.get("summa") is not None):
                assert "rader_url" in row, (page, name)
                assert f'href="{row["rader_url"]}"'.replace("&", "&amp;") in html, (page, name)
                ledger = (await datasette.client.get(row["rader_url"])).text
                found = re.search(r"Summa nettobelopp för ([\d ]+) rad(?:er)?: (-?[\d ]+,\d\d) kr", ledger)
                assert found, (page, name, row["rader_url"])
                assert found.group(2) == number(row["summa"], 2), (page, name, row)
                if "rader" in row:
                    assert found.group(1) == number(row["rader"]), (page, name, row)
                checked += 1
    assert checked > 100
