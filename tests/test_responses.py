"""Pages rendered once and then answered from memory (plugins/responses.py): the same page, no
SQL run for it again, streams and errors never kept, memory bounded, each host its own pages."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from datasette.database import Database
from openup_plugins import responses
from openup_plugins.instance import make_datasette


@pytest.fixture
def datasette(sample_db):
    return make_datasette([sample_db])


@pytest.fixture
def queries(monkeypatch) -> list[str]:
    ran: list[str] = []
    execute = Database.execute

    async def counting(self, sql, *args, **kwargs):
        ran.append(sql)
        return await execute(self, sql, *args, **kwargs)

    monkeypatch.setattr(Database, "execute", counting)
    return ran


async def test_a_page_asked_again_is_the_same_page_without_a_query(datasette, queries):
    url = "/openup/leverantorsreskontra?kopare_id=212000-1355&_sort_desc=nettobelopp"
    first = await datasette.client.get(url)
    ran_for_first = len(queries)
    second = await datasette.client.get(url)
    assert first.status_code == second.status_code == 200
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("MISS", "HIT")
    assert second.text == first.text and ran_for_first > 0 and len(queries) == ran_for_first
    other = await datasette.client.get(url.replace("_sort_desc", "_sort"))
    assert other.headers["x-cache"] == "MISS" and other.text != first.text


async def test_visitors_arriving_together_share_one_rendering(datasette, sample_db, queries):
    url = "/openup/leverantorsreskontra.json?kopare_id=212000-1355"
    await make_datasette([sample_db]).client.get(url)  # another instance, one visitor
    for_one_visitor = len(queries)
    queries.clear()
    answers = await asyncio.gather(*(datasette.client.get(url) for _ in range(5)))
    assert sorted(a.headers["x-cache"] for a in answers) == ["HIT"] * 4 + ["MISS"]
    assert len({a.text for a in answers}) == 1 and len(queries) == for_one_visitor


async def test_errors_and_streams_are_not_kept(datasette, sample_db, monkeypatch):
    monkeypatch.setattr(responses, "MAX_ENTRY_BYTES", 10_000)
    for _ in range(2):
        missing = await datasette.client.get("/openup/ingen_tabell")
        assert missing.status_code == 404 and missing.headers["x-cache"] == "MISS"
    with sqlite3.connect(sample_db) as conn:
        rows = conn.execute("SELECT count(*) FROM leverantorsreskontra").fetchone()[0]
    for _ in range(2):
        stream = await datasette.client.get("/openup/leverantorsreskontra.csv?_stream=on&_size=max")
        assert stream.headers["x-cache"] == "MISS" and len(stream.text.splitlines()) == rows + 1


async def test_memory_for_pages_stays_within_its_budget(datasette, monkeypatch):
    monkeypatch.setattr(responses, "MAX_CACHED_BYTES", 60_000)
    for year in range(2015, 2030):
        assert (await datasette.client.get(f"/inkop.json?ar={year}")).status_code == 200
    cache = datasette.client.app  # the outermost wrapper
    assert 0 < cache.size <= 60_000 and cache.size == sum(e.size for e in cache.entries.values())
    assert (await datasette.client.get("/inkop.json?ar=2015")).headers["x-cache"] == "MISS"  # left first


async def test_each_host_gets_its_own_catalog(datasette):
    one = await datasette.client.get("/datasets/dcat.jsonld", headers={"host": "ett.example"})
    two = await datasette.client.get("/datasets/dcat.jsonld", headers={"host": "tva.example"})
    assert "ett.example" in one.text and "tva.example" in two.text and "ett.example" not in two.text


async def test_nothing_is_kept_while_a_served_file_may_change(sample_db, tmp_path):
    from datasette.app import Datasette

    live = tmp_path / "live.db"
    live.write_bytes(sample_db.read_bytes())
    datasette = Datasette([str(live)])  # mutable: Datasette run on a file that loads may change
    url = "/live/kopare.json"
    before = (await datasette.client.get(url)).json()["rows"]
    with sqlite3.connect(live) as conn:
        conn.execute("DELETE FROM kopare WHERE rowid = (SELECT min(rowid) FROM kopare)")
    after = await datasette.client.get(url)
    assert "x-cache" not in after.headers and len(after.json()["rows"]) == len(before) - 1


async def test_visitors_arriving_together_for_a_stream_all_get_it(datasette, sample_db, monkeypatch):
    monkeypatch.setattr(responses, "MAX_ENTRY_BYTES", 10_000)  # the stream is not kept
    url = "/openup/leverantorsreskontra.csv?_stream=on&_size=max"
    answers = await asyncio.wait_for(asyncio.gather(*(datasette.client.get(url) for _ in range(3))), 60)
    assert len({a.text for a in answers}) == 1 and all(a.headers["x-cache"] == "MISS" for a in answers)
