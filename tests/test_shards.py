"""Year databases (openup shard): the ledger split by booking year, a national database of the
rest, and an instance serving them that answers as the unsplit one does."""

from __future__ import annotations

import csv
import io
import re
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import polars as pl
import pytest
from openup.periods import FIRST_COVERED_DAY
from openup.database import index_name
from openup.schema import LEDGER, SCHEMA_VERSION
from openup.shards import NATIONAL_TABLES, YEAR_DATABASES_KEY
from openup_plugins import dcat as dcat_plugin
from openup_plugins.instance import make_datasette
from openup_plugins.ledger import ledger_database
from openup_plugins.swedish import number
from rdflib import RDF, Graph, Namespace
from rdflib.namespace import DCTERMS

from .conftest import run_openup
from .files import copy_with_planted_lines_shuffled

DCAT = Namespace("http://www.w3.org/ns/dcat#")
BASE = "https://data.exempel.se"
_BY_BUYER_AND_YEAR = ("SELECT kopare_id, substr(bokforingsdatum, 1, 4) AS ar, count(*), round(sum(nettobelopp), 2), "
                      "sum(id) FROM leverantorsreskontra GROUP BY 1, 2 ORDER BY 1, 2")


def shard(work: Path, out: Path) -> list[Path]:
    result = run_openup("shard", "--db", work, out)
    assert result.exit_code == 0, result.output
    return [out / f"{work.stem}.db", *sorted(out.glob(f"{work.stem}_[0-9][0-9][0-9][0-9].db"))]


def rows(path: Path, sql: str, params=()) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def sharded(sample_db, tmp_path_factory) -> list[Path]:
    """The national database, then the year databases, of the sample."""
    return shard(sample_db, tmp_path_factory.mktemp("shards"))


def test_every_row_is_in_the_database_of_its_year_once(sample_db, sharded):
    national, *years = sharded
    assert [p.stem for p in years] == [f"openup_{y}" for (y,) in rows(
        sample_db, "SELECT DISTINCT substr(bokforingsdatum, 1, 4) FROM leverantorsreskontra ORDER BY 1")]
    assert len(years) > 1
    split = []
    for path in years:
        year = path.stem.removeprefix("openup_")
        assert rows(path, "SELECT DISTINCT substr(bokforingsdatum, 1, 4) FROM leverantorsreskontra") == [(year,)]
        split += rows(path, _BY_BUYER_AND_YEAR)
    assert sorted(split) == rows(sample_db, _BY_BUYER_AND_YEAR)  # counts, sums and the very rows (ids)
    assert rows(national, "SELECT name FROM sqlite_master WHERE name = ?", [LEDGER.name]) == []


def test_each_years_parquet_file_holds_its_databases_rows_as_they_are(sample_db, sharded):
    """The bulk download: every column of every row of the year, in id order, read back by Polars;
    together the years' files sum to the work database's ledger."""
    for path in sharded[1:]:
        archive = pl.read_parquet(path.with_suffix(".parquet"))
        with sqlite3.connect(path) as conn:
            cursor = conn.execute("SELECT * FROM leverantorsreskontra ORDER BY id")
            assert archive.columns == [d[0] for d in cursor.description]
            assert archive.rows() == cursor.fetchall()
    every = pl.read_parquet([p.with_suffix(".parquet") for p in sharded[1:]])
    by_buyer_and_year = every.group_by("kopare_id", pl.col("bokforingsdatum").str.slice(0, 4).alias("ar")).agg(
        pl.len(), pl.col("nettobelopp").sum().round(2), pl.col("id").sum()).sort("kopare_id", "ar")
    assert by_buyer_and_year.rows() == rows(sample_db, _BY_BUYER_AND_YEAR)


def test_the_national_database_holds_every_other_table_as_it_was(sample_db, sharded):
    national = sharded[0]
    for table in NATIONAL_TABLES:
        order = ", ".join(str(i + 1) for i in range(len(table.columns)))
        sql = f"SELECT {', '.join(table.column_names)} FROM {table.name} ORDER BY {order}"
        if table.name != "databasinfo":  # which gains the years
            assert rows(national, sql) == rows(sample_db, sql), table.name
    info = dict(rows(national, "SELECT nyckel, varde FROM databasinfo"))
    assert info["schemaversion"] == SCHEMA_VERSION and YEAR_DATABASES_KEY in info
    assert rows(national, "SELECT count(*) FROM leverantorer_fts WHERE leverantorer_fts MATCH 'ab'") == rows(
        sample_db, "SELECT count(*) FROM leverantorer_fts WHERE leverantorer_fts MATCH 'ab'")


def test_a_year_databases_buyers_are_that_years_figures(sample_db, sharded):
    for path in sharded[1:]:
        year = path.stem.removeprefix("openup_")
        expected = []
        for buyer, count, total in rows(
                sample_db, "SELECT kopare_id, count(*), round(sum(nettobelopp), 2) FROM leverantorsreskontra "
                "WHERE bokforingsdatum LIKE ? GROUP BY 1 ORDER BY 1", [f"{year}%"]):
            span = {"kopare": buyer, "fran": f"{year}-01-01", "till": f"{year}-12-31"}
            first = rows(sample_db, "SELECT min(bokforingsdatum) FROM leverantorsreskontra WHERE kopare_id = :kopare "
                         "AND bokforingsdatum BETWEEN :fran AND :till", span)[0][0]
            assert rows(sample_db, FIRST_COVERED_DAY, span)[0][0] == first
            expected.append((buyer, count, total, first))
        assert rows(path, "SELECT kopare_id, rader, summa, forsta_datum FROM kopare ORDER BY 1") == expected
        files = rows(path, "SELECT id, filnamn FROM kallfiler ORDER BY id")
        assert files == rows(sample_db, "SELECT id, filnamn FROM kallfiler WHERE id IN "
                             "(SELECT DISTINCT kallfil_id FROM leverantorsreskontra WHERE bokforingsdatum LIKE ?) "
                             "ORDER BY id", [f"{year}%"])


def test_files_in_another_order_and_shuffled_rows_give_the_same_years(sample_dir, sample_db, sharded, tmp_path):
    """The planted file spans three years: its lines shuffled, and every file loaded in reverse."""
    copies = copy_with_planted_lines_shuffled(sample_dir, tmp_path / "copies", seed=5)
    work = tmp_path / "openup.db"
    assert run_openup("load", "--db", work, *reversed(copies)).exit_code == 0
    reshuffled = shard(work, tmp_path / "out")
    without_ids = "SELECT kopare_id, count(*), round(sum(nettobelopp), 2), min(bokforingsdatum), " \
                  "max(bokforingsdatum) FROM leverantorsreskontra GROUP BY 1 ORDER BY 1"
    assert [p.name for p in reshuffled] == [p.name for p in sharded]
    for ours, theirs in zip(reshuffled[1:], sharded[1:]):
        assert rows(ours, without_ids) == rows(theirs, without_ids)
        assert rows(ours, "SELECT * FROM kopare ORDER BY 1") == rows(theirs, "SELECT * FROM kopare ORDER BY 1")
        for totals in ("SELECT * FROM leverantor_kopare ORDER BY 1, 2, 3", "SELECT * FROM kopare_manad ORDER BY 1, 2"):
            assert rows(ours, totals) == rows(theirs, totals) != [], totals  # what the ledger pages count


def test_only_the_years_whose_rows_changed_are_written_again(sample_dir, tmp_path):
    work = tmp_path / "openup.db"
    files = sorted(p for p in sample_dir.iterdir() if not p.name.startswith(("planterade", "orebro")))
    assert run_openup("load", "--db", work, *files).exit_code == 0
    out = tmp_path / "out"
    first = shard(work, out)
    times = {p.name: p.stat().st_mtime_ns for p in first}
    again = run_openup("shard", "--db", work, out)
    assert again.exit_code == 0 and "oförändrad" in again.output
    assert {p.name: p.stat().st_mtime_ns for p in first[1:]} == {k: v for k, v in times.items() if k != "openup.db"}
    orebro = next(p for p in sample_dir.iterdir() if p.name.startswith("orebro") and "2016" in p.name)
    assert run_openup("load", "--db", work, orebro).exit_code == 0
    second = shard(work, out)
    assert [p.name for p in second] == ["openup.db", "openup_2016.db", *[p.name for p in first[1:]]]
    assert all(p.stat().st_mtime_ns == times[p.name] for p in second[2:])  # 2023's rows are as they were
    assert "openup_2023.parquet: oförändrad" in run_openup("shard", "--db", work, out).output
    (out / "openup_2023.parquet").unlink()  # as a run before the archive was written leaves a year
    again = run_openup("shard", "--db", work, out)
    assert "openup_2023.parquet: skriven" in again.output and "openup_2023.db: oförändrad" in again.output
    assert pl.read_parquet(out / "openup_2023.parquet").height == rows(out / "openup_2023.db",
                                                                        "SELECT count(*) FROM leverantorsreskontra")[0][0]
    with sqlite3.connect(work) as conn:  # no row of 2016 left in the work database
        conn.execute("DELETE FROM leverantorsreskontra WHERE bokforingsdatum LIKE '2016%'")
    result = run_openup("shard", "--db", work, out)
    assert result.exit_code == 0 and "openup_2016.db: borttagen" in result.output
    assert "openup_2016.parquet: borttagen" in result.output
    assert not (out / "openup_2016.db").exists() and not (out / "openup_2016.parquet").exists()


def test_refused_into_the_work_databases_folder_or_from_another_schema(sample_db, tmp_path):
    work = tmp_path / "openup.db"
    shutil.copy(sample_db, work)
    into_itself = run_openup("shard", "--db", work, tmp_path)
    assert into_itself.exit_code == 1 and "välj en annan mapp" in into_itself.output
    with sqlite3.connect(work) as conn:
        conn.execute("UPDATE databasinfo SET varde = '1' WHERE nyckel = 'schemaversion'")
    out = tmp_path / "out"
    old = run_openup("shard", "--db", work, out)
    assert old.exit_code == 1 and "schemaversion 1" in old.output and not list(out.glob("*.db"))


# The instance serving them.

@pytest.fixture(scope="module")
def instances(sample_db, sharded):
    mp = pytest.MonkeyPatch()
    mp.setenv("OPENUP_BASE_URL", BASE)
    dcat_plugin._cache.clear()
    yield make_datasette([sample_db]), make_datasette(sharded)
    dcat_plugin._cache.clear()
    mp.undo()


async def ledger_rows(datasette, path: str) -> list[dict]:
    """Every row a ledger link leads to, following the years it is sent on to."""
    response = await datasette.client.get(path)
    if response.status_code == 302:
        return await ledger_rows(datasette, response.headers["location"])
    if response.status_code == 300:
        found = []
        for year in response.json()["ar"]:
            found += await ledger_rows(datasette, year["url"])
        return found
    assert response.status_code == 200, (path, response.text[:300])
    page = response.json()
    following = urlsplit(page["next_url"]) if page.get("next_url") else None
    return page["rows"] + (await ledger_rows(datasette, f"{following.path}?{following.query}") if following else [])


def as_json(link: str) -> str:
    path, _, query = link.partition("?")
    return f"{path}.json?{query}&_shape=objects&_size=max" if query else f"{path}.json?_shape=objects&_size=max"


async def test_every_flags_rows_are_the_same_rows_from_the_year_databases(instances, sample_db):
    whole, split = instances
    links = [link for (link,) in rows(sample_db, "SELECT DISTINCT rader_url FROM flaggor ORDER BY 1")]
    assert len(links) > 20 and all(link.startswith("/openup/leverantorsreskontra?") for link in links)
    for link in links:
        expected = await ledger_rows(whole, as_json(link))
        assert sorted(r["id"] for r in await ledger_rows(split, as_json(link))) == sorted(r["id"] for r in expected)


async def test_a_link_within_a_year_is_sent_to_that_years_database(instances):
    _, split = instances
    query = "kopare_id=212000-1355&bokforingsdatum__gte=2023-03-01&bokforingsdatum__lte=2023-03-31"
    response = await split.client.get(f"/openup/leverantorsreskontra?{query}")
    assert response.status_code == 302 and response.headers["location"] == f"/openup_2023/leverantorsreskontra?{query}"
    for asked, year, kept in (("bokforingsdatum=2022-06-15", "2022", "?bokforingsdatum=2022-06-15"),
                              ("bokforingsdatum__startswith=2021-1", "2021", "?bokforingsdatum__startswith=2021-1"),
                              ("bokforingsdatum__startswith=2021", "2021", ""),
                              ("bokforingsdatum__gt=2022-12-31&bokforingsdatum__lt=2024-01-01", "2023", "")):
        response = await split.client.get(f"/openup/leverantorsreskontra.csv?{asked}")
        assert response.headers["location"] == f"/openup_{year}/leverantorsreskontra.csv{kept}", asked


async def test_a_link_from_a_year_alone_lists_the_years_with_their_rows(instances, sharded):
    """Datasette passes a year alone as a number: each year's rows are counted as listed."""
    _, split = instances
    years = (await split.client.get("/openup/leverantorsreskontra.json?bokforingsdatum__gte=2016")).json()["ar"]
    assert len(years) > 1 and [year["rader"] for year in years] == [
        rows(path, "SELECT count(*) FROM leverantorsreskontra")[0][0] for path in sharded[1:]
        if int(path.stem[-4:]) >= 2016]


async def test_a_link_to_a_whole_year_is_sent_on_without_its_dates(instances):
    """The year's database holds that year alone: the pages' links to a buyer's or supplier's rows
    of a year become the year's page of that buyer or supplier, whose figures are read from totals."""
    _, split = instances
    year = "bokforingsdatum__gte=2023-01-01&bokforingsdatum__lte=2023-12-31"
    for query in ("kopare_id=212000-1355", "leverantor_nyckel=556000-0001&kopare_id=212000-1355"):
        response = await split.client.get(f"/openup/leverantorsreskontra?{query}&{year}")
        assert response.status_code == 302 and response.headers["location"] == f"/openup_2023/leverantorsreskontra?{query}"
    response = await split.client.get("/openup/leverantorsreskontra.json?kopare_id=212000-1355"
                                      "&bokforingsdatum__gte=2022-01-01&bokforingsdatum__lte=2023-12-31")
    assert [urlsplit(year["url"]).query for year in response.json()["ar"]] == ["kopare_id=212000-1355"] * 2


async def test_a_link_over_several_years_lists_them_each_with_its_filters(instances, sample_db):
    whole, split = instances
    page = await split.client.get("/openup/leverantorsreskontra?kopare_id=212000-9010&_sort=id")
    assert page.status_code == 300 and "välj ett år" in page.text
    links = re.findall(r'href="(/openup_\d{4}/leverantorsreskontra\?[^"]+)"', page.text)
    assert [urlsplit(link).path for link in links] == [
        f"/openup_{y}/leverantorsreskontra" for (y,) in rows(
            sample_db, "SELECT DISTINCT substr(bokforingsdatum, 1, 4) FROM leverantorsreskontra ORDER BY 1")]
    assert all(dict(parse_qsl(urlsplit(link.replace("&amp;", "&")).query)) == {"kopare_id": "212000-9010", "_sort": "id"}
               for link in links)
    assert len(await ledger_rows(split, "/openup/leverantorsreskontra.json?kopare_id=212000-9010&_size=max")) == \
        rows(sample_db, "SELECT count(*) FROM leverantorsreskontra WHERE kopare_id = '212000-9010'")[0][0]


async def test_a_rows_page_is_sent_to_the_database_that_holds_it(instances, sample_db):
    _, split = instances
    for row_id, year in rows(sample_db, "SELECT id, substr(bokforingsdatum, 1, 4) FROM leverantorsreskontra "
                                        "WHERE id IN (1, 2600, (SELECT max(id) FROM leverantorsreskontra))"):
        response = await split.client.get(f"/openup/leverantorsreskontra/{row_id}")
        assert response.headers["location"] == f"/openup_{year}/leverantorsreskontra/{row_id}"
        assert (await split.client.get(response.headers["location"])).status_code == 200
    missing = await split.client.get("/openup/leverantorsreskontra/999999999.json")
    assert missing.status_code == 404


@pytest.mark.parametrize("column", ["kopare_id", "konto_nr", "forvaltning", "leverantor_nyckel"])
async def test_a_year_databases_facets_count_its_rows(instances, sharded, column):
    _, split = instances
    year = sharded[-1]
    page = (await split.client.get(f"/{year.stem}/leverantorsreskontra.json?_facet={column}&_facet_size=max")).json()
    counted = {r["value"]: r["count"] for r in page["facet_results"][column]["results"]}
    expected = rows(year, f"SELECT {column}, count(*) FROM leverantorsreskontra WHERE {column} IS NOT NULL "
                          "GROUP BY 1 ORDER BY 2 DESC, 1")
    assert list(counted.items()) == expected[:len(counted)] and len(counted) > 1


def test_a_years_rows_of_one_buyer_or_supplier_are_read_in_id_order_not_sorted(sharded):
    """A table page's first rows (Datasette's query, in id order) of the largest buyer and supplier."""
    year = sharded[-1]
    with sqlite3.connect(year) as conn:
        for column in ("kopare_id", "leverantor_id", "leverantor_nyckel"):
            value = conn.execute(f"SELECT {column} FROM leverantorsreskontra WHERE {column} IS NOT NULL "
                                 "GROUP BY 1 ORDER BY count(*) DESC").fetchone()[0]
            plan = [row[3] for row in conn.execute(f'EXPLAIN QUERY PLAN select * from leverantorsreskontra '
                                                   f'where "{column}" = :p0 order by id limit 51', {"p0": value})]
            assert plan == [f"SEARCH leverantorsreskontra USING INDEX {index_name(LEDGER, (column,))} ({column}=?)"]


async def test_one_buyers_page_of_a_year_counts_sums_and_facets_that_years_rows(instances, sharded):
    _, split = instances
    for year in sharded[1:]:
        for buyer, count, total in rows(year, "SELECT kopare_id, count(*), round(sum(nettobelopp), 2) "
                                              "FROM leverantorsreskontra GROUP BY 1"):
            page = (await split.client.get(f"/{year.stem}/leverantorsreskontra.json?kopare_id={buyer}"
                                           "&_facet=konto_nr&_facet_size=max")).json()
            assert page["filtered_table_rows_count"] == count, (year.stem, buyer)
            assert {r["value"]: r["count"] for r in page["facet_results"]["kopare_id"]["results"]} == {buyer: count}
            accounts = {r["value"]: r["count"] for r in page["facet_results"]["konto_nr"]["results"]}
            assert accounts == dict(rows(year, "SELECT konto_nr, count(*) FROM leverantorsreskontra WHERE kopare_id = ? "
                                               "AND konto_nr IS NOT NULL GROUP BY 1", [buyer]))
            html = (await split.client.get(f"/{year.stem}/leverantorsreskontra?kopare_id={buyer}")).text
            assert f"{number(total, 2)} kr" in html, (year.stem, buyer)


@pytest.mark.parametrize("column", ["leverantor_nyckel", "leverantor_id"])
async def test_one_suppliers_page_of_a_year_counts_sums_and_lists_buyers_of_that_years_rows(instances, sharded, column):
    """Every supplier of every year, by the key the pages link with and by the id a reader types:
    its page's count, sum and buyers, read from the year's leverantor_kopare, are the year's rows';
    and so are a buyer's page's suppliers."""
    _, split = instances
    for year in sharded[1:]:
        suppliers = rows(year, f"SELECT {column}, count(*), round(sum(nettobelopp), 2) FROM leverantorsreskontra "
                               f"WHERE {column} IS NOT NULL GROUP BY 1")
        assert len(suppliers) > 10
        for supplier, count, total in suppliers:
            one = urlencode({column: supplier})
            page = (await split.client.get(f"/{year.stem}/leverantorsreskontra.json?{one}&_facet_size=max")).json()
            assert page["filtered_table_rows_count"] == count, (year.stem, supplier)
            buyers = {r["value"]: r["count"] for r in page["facet_results"]["kopare_id"]["results"]}
            assert buyers == dict(rows(year, f"SELECT kopare_id, count(*) FROM leverantorsreskontra "
                                             f"WHERE {column} = ? GROUP BY 1", [supplier])), (year.stem, supplier)
            html = (await split.client.get(f"/{year.stem}/leverantorsreskontra?{one}")).text
            assert f"{number(total, 2)} kr" in html, (year.stem, supplier)
        buyer = rows(year, "SELECT kopare_id FROM leverantorsreskontra GROUP BY 1 ORDER BY count(*) DESC")[0][0]
        page = (await split.client.get(f"/{year.stem}/leverantorsreskontra.json?kopare_id={buyer}"
                                       f"&_facet={column}&_facet_size=max")).json()
        suppliers = rows(year, f"SELECT {column}, count(*) FROM leverantorsreskontra WHERE kopare_id = ? "
                               f"AND {column} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1", [buyer])
        assert [(r["value"], r["count"]) for r in page["facet_results"][column]["results"]] == suppliers
        for supplier, count in suppliers:  # a buyer page's supplier rows link here
            pair = urlencode({"kopare_id": buyer, column: supplier})
            page = (await split.client.get(f"/{year.stem}/leverantorsreskontra.json?{pair}")).json()
            assert page["filtered_table_rows_count"] == count, (year.stem, supplier)
            assert {r["value"]: r["count"] for r in page["facet_results"]["kopare_id"]["results"]} == {buyer: count}
            total = rows(year, f"SELECT round(sum(nettobelopp), 2) FROM leverantorsreskontra WHERE kopare_id = ? "
                               f"AND {column} = ?", [buyer, supplier])[0][0]
            html = (await split.client.get(f"/{year.stem}/leverantorsreskontra?{pair}")).text
            assert f"{number(total, 2)} kr" in html, (year.stem, supplier)


async def test_a_months_page_of_a_year_counts_sums_and_facets_that_months_rows(instances, sharded):
    """Every month of every year, of every buyer and of the largest, as the pages link it (sent on
    to the year's database): read from the year's kopare_manad and month summaries."""
    _, split = instances
    for year in sharded[1:]:
        buyer = rows(year, "SELECT kopare_id FROM leverantorsreskontra GROUP BY 1 ORDER BY count(*) DESC")[0][0]
        for (month,) in rows(year, "SELECT DISTINCT substr(bokforingsdatum, 1, 7) FROM leverantorsreskontra"):
            for of_buyer in (None, buyer):
                where = "substr(bokforingsdatum, 1, 7) = ?" + (" AND kopare_id = ?" if of_buyer else "")
                params = [month, *([of_buyer] if of_buyer else [])]
                count, total = rows(year, f"SELECT count(*), round(sum(nettobelopp), 2) FROM leverantorsreskontra "
                                          f"WHERE {where}", params)[0]
                link = (f"/openup/leverantorsreskontra.json?bokforingsdatum__gte={month}-01&bokforingsdatum__lte="
                        f"{month}-31" + (f"&kopare_id={of_buyer}" if of_buyer else ""))
                sent = await split.client.get(f"{link}&_facet=konto_nr&_facet_size=max")
                assert sent.status_code == 302, link
                page = (await split.client.get(sent.headers["location"])).json()
                assert page["filtered_table_rows_count"] == count, link
                for column in ("kopare_id", "konto_nr"):
                    counted = {r["value"]: r["count"] for r in page["facet_results"][column]["results"]}
                    assert counted == dict(rows(year, f"SELECT {column}, count(*) FROM leverantorsreskontra WHERE "
                                                      f"{where} AND {column} IS NOT NULL GROUP BY 1", params)), link
                html = (await split.client.get(sent.headers["location"].replace(".json", ""))).text
                assert total is None or f"{number(total, 2)} kr" in html, link


async def test_a_suppliers_page_of_a_year_is_counted_from_its_totals_and_no_other_page_is(sharded, tmp_path):
    year = tmp_path / sharded[-1].name
    shutil.copy(sharded[-1], year)
    supplier, buyer = rows(year, "SELECT leverantor_id, kopare_id FROM leverantor_kopare ORDER BY rader DESC")[0]
    with sqlite3.connect(year) as conn:
        conn.execute("UPDATE leverantor_kopare SET rader = rader + 1000000, summa = "
                     "CASE kopare_id WHEN ? THEN 123456789.25 ELSE 0 END WHERE leverantor_id = ?", [buyer, supplier])
    datasette = make_datasette([year])
    for one in (urlencode({"leverantor_id": supplier}), urlencode({"leverantor_nyckel": supplier}),
                urlencode({"kopare_id": buyer, "leverantor_nyckel": supplier})):
        page = (await datasette.client.get(f"/{year.stem}/leverantorsreskontra.json?{one}")).json()
        assert page["filtered_table_rows_count"] > 1000000, one
        assert page["facet_results"]["kopare_id"]["results"][0]["count"] > 1000000, one
        html = (await datasette.client.get(f"/{year.stem}/leverantorsreskontra?{one}")).text
        assert f"{number(123456789.25, 2)} kr" in html, one
    one = urlencode({"leverantor_id": supplier})
    for filtered in (f"{one}&konto_nr__notnull=1", f"leverantor_id__startswith={supplier}", f"{one}&_where=1%3D1",
                     f"{one}&leverantor_nyckel={supplier}", f"{one}&kopare_id__not=0"):
        page = (await datasette.client.get(f"/{year.stem}/leverantorsreskontra.json?{filtered}")).json()
        assert page["filtered_table_rows_count"] < 1000000, filtered  # counted: the rows shown
        assert all(r["count"] < 1000000 for r in page["facet_results"]["kopare_id"]["results"]), filtered


async def test_the_pages_answer_as_the_unsplit_instances_do(instances, sample_db):
    whole, split = instances
    # A supplier and account two buyers share over years: compared from the ledger itself.
    supplier, account, first, second = rows(sample_db, """SELECT leverantor_nyckel, konto_nr, min(kopare_id),
        max(kopare_id) FROM leverantorsreskontra WHERE leverantor_id_typ = 'organisationsnummer'
        GROUP BY 1, 2 HAVING count(DISTINCT kopare_id) > 1 ORDER BY count(DISTINCT substr(bokforingsdatum, 1, 4))
        DESC, count(*) DESC LIMIT 1""")[0]
    compare = f"/inkop/jamfor.json?kopare={first}&kopare={second}"
    for path in ("/", "/inkop", "/inkop/kopare/212000-1355", "/inkop/flaggor", "/inkop/kvalitet", "/sok?q=bygg",
                 f"{compare}&konto={account}&leverantor={supplier}", compare):
        ours, theirs = await split.client.get(path), await whole.client.get(path)
        assert ours.status_code == theirs.status_code == 200, path
        if path.startswith("/inkop/jamfor"):
            assert ours.json()["rows"] == theirs.json()["rows"]
        for link in set(re.findall(r'href="(/openup/leverantorsreskontra[^"]*)"', ours.text)):
            answer = await split.client.get(link.replace("&amp;", "&"))
            assert answer.status_code in (200, 300, 302), link


async def test_the_catalog_offers_each_year_from_its_database(instances, sample_db):
    _, split = instances
    graph = Graph().parse(data=(await split.client.get("/datasets/dcat.ttl")).content, format="turtle")
    datasets = list(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == rows(sample_db, "SELECT count(DISTINCT kopare_id || substr(bokforingsdatum, 1, 4)) "
                                            "FROM leverantorsreskontra")[0][0]
    for dataset in datasets:
        buyer, year = str(dataset).rsplit("/", 2)[-2:]
        urls = {str(graph.value(d, DCTERMS["format"])): str(graph.value(d, DCAT.accessURL))
                for d in graph.objects(dataset, DCAT.distribution)}
        assert urls["application/vnd.sqlite3"] == f"{BASE}/openup_{year}.db"
        response = await split.client.get(urls["text/csv"].removeprefix(BASE))
        assert response.status_code == 200
        found = list(csv.DictReader(io.StringIO(response.text)))
        assert (len(found), round(sum(float(r["nettobelopp"]) for r in found), 2)) == tuple(rows(
            sample_db, "SELECT count(*), round(sum(nettobelopp), 2) FROM leverantorsreskontra WHERE kopare_id = ? "
                       "AND bokforingsdatum LIKE ?", [buyer, f"{year}%"])[0])
        period = graph.value(dataset, DCTERMS.temporal)
        assert str(graph.value(period, DCAT.startDate)) == rows(
            sample_db, "SELECT min(bokforingsdatum) FROM leverantorsreskontra WHERE kopare_id = ? "
                       "AND bokforingsdatum LIKE ?", [buyer, f"{year}%"])[0][0]
        archive = await split.client.get(urls["application/vnd.apache.parquet"].removeprefix(BASE))
        assert archive.status_code == 200 and archive.headers["content-type"] == "application/vnd.apache.parquet"
        in_year = pl.read_parquet(io.BytesIO(archive.content)).filter(pl.col("kopare_id") == buyer)
        assert (in_year.height, round(in_year["nettobelopp"].sum(), 2)) == (len(found), round(
            sum(float(r["nettobelopp"]) for r in found), 2))
    download = await split.client.get("/openup_2023.db")
    assert download.status_code == 200 and download.content[:16] == b"SQLite format 3\x00"
    national = await split.client.get("/openup.parquet")  # the national database has no rows to give
    assert national.headers["content-type"] != "application/vnd.apache.parquet"


async def test_the_pages_read_the_national_database_in_whatever_order_they_are_served(sharded):
    datasette = make_datasette(list(reversed(sharded)))
    assert (await ledger_database(datasette)).name == "openup"


async def test_each_database_offers_the_canned_queries_it_can_answer(instances, sharded):
    _, split = instances
    offered = {path.stem: await split.get_canned_queries(path.stem, None) for path in sharded}
    national, year = sharded[0].stem, sharded[-1].stem
    assert "hitta_verifikation" in offered[year] and "hitta_verifikation" not in offered[national]
    assert any(name.startswith("flaggor_") for name in offered[national])
    assert not any(name.startswith("flaggor_") for name in offered[year])
    for database, queries in offered.items():
        for name in queries:
            assert (await split.client.get(f"/{database}/{name}.json")).status_code == 200, (database, name)


async def test_the_front_page_offers_each_years_database_and_parquet_file_for_download(instances, sharded):
    _, split = instances
    page = (await split.client.get("/")).text
    downloads = re.findall(r'href="(/openup[_\d]*\.db)"', page)
    assert downloads == [f"/{p.stem}.db" for p in sharded]
    for link in downloads:
        response = await split.client.get(link)
        assert response.status_code == 200 and response.content[:16] == b"SQLite format 3\x00"
    archives = re.findall(r'href="(/openup_\d+\.parquet)"', page)
    assert archives == [f"/{p.stem}.parquet" for p in sharded[1:]]
    for link in archives:
        response = await split.client.get(link)
        assert response.status_code == 200 and response.content[:4] == b"PAR1"
    assert set((await split.client.get("/.json")).json()) == {p.stem for p in sharded}  # Datasette's own list


def test_a_replaced_file_that_takes_the_same_ids_writes_its_year_again(sample_dir, tmp_path):
    """A corrected file of as many lines, replacing the last file loaded, gets its ids back: the
    year is written again because the file's content changed, not its ids or counts."""
    stockholm = sample_dir / "stockholm_openup_2023.csv"
    work, copy = tmp_path / "openup.db", tmp_path / stockholm.name
    shutil.copy(stockholm, copy)
    assert run_openup("load", "--db", work, sample_dir / "umea_leverantorsfakturor_2023.csv", copy).exit_code == 0
    shard(work, tmp_path / "out")
    header, *lines = copy.read_text("utf-8").splitlines()
    copy.write_text("\n".join([header, *reversed(lines)]) + "\n", "utf-8")  # the same rows, other lines
    assert run_openup("load", "--db", work, "--replace", copy).exit_code == 0
    result = run_openup("shard", "--db", work, tmp_path / "out")
    assert "openup_2023.db: skriven" in result.output
    every_row = "SELECT id, kallrad, nettobelopp FROM leverantorsreskontra ORDER BY id"
    assert rows(tmp_path / "out" / "openup_2023.db", every_row) == rows(work, every_row)


def test_a_failed_run_changes_no_published_file(sample_db, tmp_path, monkeypatch):
    from openup import shards
    out = tmp_path / "out"
    published = shard(sample_db, out)
    (out / "openup_20240115.db").write_bytes(b"an operator's backup")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    work = tmp_path / "openup.db"
    shutil.copy(sample_db, work)
    with sqlite3.connect(work) as conn:  # a year's rows changed, so it is written again
        conn.execute("UPDATE leverantorsreskontra SET nettobelopp = nettobelopp + 1 WHERE id = 1")
        conn.execute("UPDATE kallfiler SET inlast = 'i dag' WHERE id = (SELECT kallfil_id FROM leverantorsreskontra "
                     "WHERE id = 1)")

    def full_disk(*args):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(shards, "_write_national", full_disk)
    result = run_openup("shard", "--db", work, out)
    assert result.exit_code == 1 and "inga publicerade filer ändrades" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temporary file left either
    monkeypatch.undo()
    assert [p.name for p in shard(work, out)] == [p.name for p in published]
    assert (out / "openup_20240115.db").exists()  # not a year database: not removed


def test_refused_for_a_ledger_without_rows_and_while_served(sample_db, tmp_path):
    from openup import locks
    empty = tmp_path / "tom" / "openup.db"
    empty.parent.mkdir()
    with sqlite3.connect(sample_db) as source, sqlite3.connect(empty) as target:
        source.backup(target)
        target.execute("DELETE FROM leverantorsreskontra")
    result = run_openup("shard", "--db", empty, tmp_path / "out")
    assert result.exit_code == 1 and "inga rader" in result.output
    published = shard(sample_db, tmp_path / "out")
    with locks.serving(published):
        served = run_openup("shard", "--db", sample_db, tmp_path / "out")
    assert served.exit_code == 1 and "openup serve" in served.output


def test_serve_refuses_a_national_database_without_its_years(sharded):
    result = run_openup("serve", sharded[0], *sharded[2:], "--port", "1")
    assert result.exit_code == 2 and f"{sharded[1].name}" in result.output and "Publicera dem också" in result.output


async def test_the_list_of_years_counts_each_years_rows_and_drops_page_tokens(instances, sample_db):
    _, split = instances
    response = await split.client.get("/openup/leverantorsreskontra.json?kopare_id=212000-9010&_next=100&_size=5")
    assert response.status_code == 300 and response.headers["access-control-allow-origin"] == "*"
    listed = response.json()["ar"]
    assert [(y["ar"], y["rader"]) for y in listed] == [(int(y), n) for y, n in rows(
        sample_db, "SELECT CAST(substr(bokforingsdatum, 1, 4) AS INTEGER), count(*) FROM leverantorsreskontra "
                   "WHERE kopare_id = '212000-9010' GROUP BY 1 UNION SELECT DISTINCT CAST(substr(bokforingsdatum, 1, 4) "
                   "AS INTEGER), 0 FROM leverantorsreskontra WHERE substr(bokforingsdatum, 1, 4) NOT IN (SELECT "
                   "substr(bokforingsdatum, 1, 4) FROM leverantorsreskontra WHERE kopare_id = '212000-9010') ORDER BY 1")]
    assert all("_next" not in y["url"] and "_size=5" in y["url"] for y in listed)
    text = await split.client.get("/openup/leverantorsreskontra.csv?kopare_id=212000-9010")
    assert text.status_code == 300 and text.headers["content-type"].startswith("text/plain")
    assert (await split.client.get("/openup/leverantorsreskontra/999999999")).status_code == 404


def test_a_buyers_new_licence_writes_its_years_again(sample_db, tmp_path):
    work = tmp_path / "openup.db"
    shutil.copy(sample_db, work)
    out = tmp_path / "out"
    shard(work, out)
    with sqlite3.connect(work) as conn:  # as a later load with --license does
        conn.execute("UPDATE kopare SET licens = 'https://example.org/licens' WHERE kopare_id = '212000-1967'")
    result = run_openup("shard", "--db", work, out)
    written = {line.split(":")[0].rsplit("/", 1)[-1] for line in result.output.splitlines() if line.endswith("skriven")}
    assert written == {"openup.db", *(f"openup_{y}.{kind}" for (y,) in rows(
        work, "SELECT DISTINCT ar FROM kopare_manad WHERE kopare_id = '212000-1967'") for kind in ("db", "parquet"))}
    assert rows(out / "openup_2016.db", "SELECT licens FROM kopare WHERE kopare_id = '212000-1967'") == [
        ("https://example.org/licens",)]
