"""The published instance, through a real Datasette app (`Datasette(...).client`)."""

from __future__ import annotations

import calendar
import csv
import io
import re
import shutil
import sqlite3
from html.parser import HTMLParser

import pytest
import yaml
from openup.planted import SAMPLE_BUYERS
from openup.schema import TABLES
from openup_plugins.swedish import number
from openup_plugins.facets import SUMMARY_COUNTS
from openup_plugins.ledger import summarised_count
from openup_plugins.instance import METADATA, SETTINGS, instance_metadata, make_datasette


@pytest.fixture(scope="module")
def datasette(sample_db):
    return make_datasette([sample_db])


@pytest.fixture(scope="module")
def db_name(sample_db):
    return sample_db.stem


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs += [value for name, value in attrs if name == "href" and value]


def links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.hrefs


async def test_front_page_explains_and_shows_coverage(datasette, sample_db):
    response = await datasette.client.get("/")
    assert response.status_code == 200
    html = response.text
    assert "en rad per kontering" in html and "exklusive" in html
    assert "verifikationsnummer" in html
    with sqlite3.connect(sample_db) as conn:
        buyers = [r[0] for r in conn.execute("SELECT kopare FROM kopare")]
        years = conn.execute("SELECT count(DISTINCT kopare_id || ar) FROM kopare_leverantor_manad").fetchone()[0]
    for buyer in buyers:
        assert buyer in html
    assert html.count('<tr><td><a href="') == years
    assert 'action="/sok"' in html and "/guide" in html


async def test_every_link_on_the_front_page_and_guide_answers(datasette):
    for page in ("/", "/guide"):
        html = (await datasette.client.get(page)).text
        targets = [h for h in links(html) if h.startswith("/")]
        assert targets, page
        for target in targets:
            response = await datasette.client.get(target.split("#")[0])
            assert response.status_code == 200, target


async def test_every_query_the_guide_runs_returns_rows(datasette, db_name):
    """A worked example that returns nothing teaches a reader that there is nothing to find."""
    html = (await datasette.client.get("/guide")).text
    queries = [h.split("#")[0] for h in links(html) if h.startswith(f"/{db_name}/") or h.startswith(f"/{db_name}?")]
    assert len(queries) >= 5
    for query in queries:
        path, _, arguments = query.partition("?")
        response = await datasette.client.get(f"{path}.json?{arguments}&_shape=array")
        assert response.status_code == 200 and response.json(), query


async def test_guide_has_five_worked_examples_with_charts(datasette):
    html = (await datasette.client.get("/guide")).text
    assert len(re.findall(r"<h2>[1-5]\.", html)) == 5
    charted = [h for h in links(html) if "#g.mark=" in h]
    assert len(charted) >= 5


def canned_queries() -> dict:
    """metadata.yml's queries and one per indicator's flags, as served."""
    return instance_metadata(["openup"])["databases"]["openup"]["queries"]


EXAMPLE_PARAMS = {"kopare_id": "212000-1355", "ar": "2023", "andel": "50", "min_kopare": "2",
                  "leverantor": "Enskild näringsidkare", "verifikationsnummer": "100000"}


def test_there_are_at_least_eight_described_canned_queries():
    queries = canned_queries()
    assert len(queries) >= 8
    for name, query in queries.items():
        assert query["title"] and query["description_html"], name


@pytest.mark.parametrize("name", sorted(canned_queries()))
async def test_canned_query_runs_and_answers_json(datasette, db_name, name):
    sql = canned_queries()[name]["sql"]
    params = {p: EXAMPLE_PARAMS[p] for p in set(re.findall(r":(\w+)", sql))}
    response = await datasette.client.get(f"/{db_name}/{name}.json", params={**params, "_shape": "objects"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "rows" in body and not body.get("error")
    page = await datasette.client.get(f"/{db_name}/{name}", params=params)
    assert page.status_code == 200


async def test_largest_suppliers_query_matches_the_ledger(datasette, db_name, sample_db):
    response = await datasette.client.get(
        f"/{db_name}/storsta_leverantorer.json",
        params={"kopare_id": "212000-1355", "ar": "2023", "_shape": "array"})
    top = response.json()[0]
    with sqlite3.connect(sample_db) as conn:
        total = conn.execute("SELECT round(sum(nettobelopp), 2) FROM leverantorsreskontra WHERE "
                             "kopare_id = '212000-1355' AND leverantor_nyckel = ? AND "
                             "bokforingsdatum LIKE '2023%'", [top["leverantor_nyckel"]]).fetchone()[0]
    assert top["summa"] == pytest.approx(total, abs=0.01)


async def test_every_table_and_column_is_described(datasette, db_name):
    for table in TABLES:
        meta = datasette.metadata(database=db_name, table=table.name)
        assert meta["description"] == table.sv
        for column in table.columns:
            assert meta["columns"][column.name].startswith(column.sv), (table.name, column.name)


async def test_settings_for_a_big_table(datasette):
    settings = (await datasette.client.get("/-/settings.json")).json()
    for name, value in SETTINGS.items():
        assert settings[name] == value


async def test_default_facets_are_on_indexed_columns_only(sample_db):
    database = yaml.safe_load(METADATA.read_text())["database"]
    with sqlite3.connect(sample_db) as conn:
        for table, config in database["tables"].items():
            indexed = {row[2] for index in conn.execute(f"PRAGMA index_list([{table}])")
                       for row in conn.execute(f"PRAGMA index_info([{index[1]}])")}
            for facet in config.get("facets", []):
                assert facet in indexed, (table, facet)


async def test_csv_export_streams_every_row(datasette, db_name, sample_db):
    response = await datasette.client.get(f"/{db_name}/leverantorsreskontra.csv",
                                          params={"_stream": "on", "_size": "max"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    with sqlite3.connect(sample_db) as conn:
        count = conn.execute("SELECT count(*) FROM leverantorsreskontra").fetchone()[0]
    assert len(rows) == len({r["id"] for r in rows}) == count  # every row, each once
    assert count > 1000  # more than one page: the export really streamed


async def test_full_text_search_finds_part_of_a_compound_name(datasette, db_name, sample_db):
    with sqlite3.connect(sample_db) as conn:
        name = conn.execute("SELECT leverantor FROM leverantorer WHERE leverantor LIKE '%bygg%' "
                            "LIMIT 1").fetchone()[0]
    response = await datasette.client.get(f"/{db_name}/leverantorer.json",
                                          params={"_search": "bygg", "_shape": "array"})
    assert name in {r["leverantor"] for r in response.json()}
    accounts = await datasette.client.get(f"/{db_name}/konton.json",
                                          params={"_search": "tjänst", "_shape": "array"})
    assert any("tjänst" in r["konto_text"] for r in accounts.json())


async def test_whole_database_can_be_downloaded(datasette, db_name, sample_db):
    response = await datasette.client.get(f"/{db_name}.db")
    assert response.status_code == 200
    assert response.content == sample_db.read_bytes()


async def test_json_api_is_open_to_other_sites(datasette, db_name):
    response = await datasette.client.get(f"/{db_name}/kopare.json")
    assert response.headers["access-control-allow-origin"] == "*"


async def test_buyers_are_on_the_map(datasette, db_name):
    html = (await datasette.client.get(f"/{db_name}/kopare")).text
    assert "datasette-cluster-map.js" in html
    rows = (await datasette.client.get(f"/{db_name}/kopare.json",
                                       params={"_shape": "array"})).json()
    placed = {r["kopare"]: (r["latitud"], r["longitud"]) for r in rows if r["latitud"]}
    assert placed["Göteborgs Stad"] == pytest.approx((57.7, 11.97), abs=0.05)
    assert placed["Västra Götalandsregionen"] == pytest.approx((58.38, 12.32), abs=0.05)  # at its seat
    made_up = {name for _, name in SAMPLE_BUYERS}  # the planted cases' buyers have no place
    assert {r["kopare"] for r in rows} - made_up <= set(placed)


@pytest.mark.parametrize("region, seat", [("Region Skåne", (56.03, 14.15)), ("Region Gotland", (57.64, 18.30)),
                                          ("Region Jämtland Härjedalen", (63.18, 14.64)),
                                          ("Region Örebro län", (59.27, 15.21))])
def test_a_region_is_placed_at_its_seat(region, seat):
    from openup.places import coordinates

    assert coordinates(region) == pytest.approx(seat, abs=0.05)


async def test_data_pages_and_json_are_cacheable_for_an_hour(datasette, db_name):
    for path in (f"/{db_name}/kopare.json", f"/{db_name}/leverantorsreskontra",
                 f"/{db_name}/storsta_leverantorer.json?kopare_id=212000-1355&ar=2023"):
        response = await datasette.client.get(path)
        assert response.headers["cache-control"] == "max-age=3600", path


async def test_a_ledger_row_names_its_source(datasette, db_name, sample_db):
    with sqlite3.connect(sample_db) as conn:
        row_id, line, name = conn.execute(
            "SELECT r.id, r.kallrad, f.filnamn FROM leverantorsreskontra r JOIN kallfiler f ON f.id = r.kallfil_id "
            "ORDER BY r.id DESC LIMIT 1").fetchone()
    html = (await datasette.client.get(f"/{db_name}/leverantorsreskontra/{row_id}")).text
    assert f"Raden kommer från rad {line} i filen" in html and name in html


@pytest.mark.parametrize("order", ["", "&_sort_desc=nettobelopp", "&_sort=bokforingsdatum"])
async def test_a_filtered_ledger_page_gives_the_sum_of_what_it_lists(datasette, db_name, sample_db, order):
    buyer = "212000-1355"
    with sqlite3.connect(sample_db) as conn:
        count, total = conn.execute("SELECT count(*), round(sum(nettobelopp), 2) FROM leverantorsreskontra "
                                    "WHERE kopare_id = ?", [buyer]).fetchone()
    html = (await datasette.client.get(f"/{db_name}/leverantorsreskontra?kopare_id={buyer}&_size=10{order}")).text
    assert f"för {number(count)} rader: {number(total, 2)} kr" in html


async def test_the_whole_ledger_page_gives_the_total_of_every_buyer(datasette, db_name, sample_db):
    with sqlite3.connect(sample_db) as conn:
        total = conn.execute("SELECT round(sum(nettobelopp), 2) FROM leverantorsreskontra").fetchone()[0]
    html = (await datasette.client.get(f"/{db_name}/leverantorsreskontra")).text
    assert number(total, 2) + " kr" in html


def _facet_counts(page: dict, column: str = "kopare_id") -> dict:
    return {row["value"]: row["count"] for row in page["facet_results"][column]["results"]}


@pytest.mark.parametrize("column, size", [(None, 30), (None, 2), ("kopare_id", 30), ("leverantor_id", 30),
                                          ("konto_nr", 30)])
async def test_the_ledgers_facet_per_buyer_counts_every_row_it_covers(datasette, db_name, sample_db, column, size):
    with sqlite3.connect(sample_db) as conn:
        value = column and conn.execute(f"SELECT [{column}] FROM leverantorsreskontra GROUP BY 1 "
                                        "ORDER BY count(*) DESC").fetchone()[0]
        where = f"WHERE [{column}] = :value" if column else ""
        expected = conn.execute(f"SELECT kopare_id, count(*) FROM leverantorsreskontra {where} "
                                "GROUP BY 1 ORDER BY 2 DESC, 1", {"value": value}).fetchall()
    query = f"?{column}={value}&_facet_size={size}" if column else f"?_facet_size={size}"
    page = (await datasette.client.get(f"/{db_name}/leverantorsreskontra.json{query}")).json()
    assert expected and list(_facet_counts(page).items()) == expected[:size]
    assert page["facet_results"]["kopare_id"]["truncated"] == (len(expected) > size)


@pytest.mark.parametrize("column", sorted(SUMMARY_COUNTS))
async def test_every_facet_of_the_whole_ledger_read_from_a_summary_counts_every_row(datasette, db_name,
                                                                                   sample_db, column):
    page = (await datasette.client.get(f"/{db_name}/leverantorsreskontra.json?_facet={column}&_facet_size=max")).json()
    with sqlite3.connect(sample_db) as conn:
        expected = conn.execute(f"SELECT [{column}], count(*) FROM leverantorsreskontra WHERE [{column}] IS NOT NULL "
                                "GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    size = SETTINGS.get("max_returned_rows", 1000)
    assert len(expected) > 1 and list(_facet_counts(page, column).items()) == expected[:size]


async def test_a_summary_facet_past_the_facet_time_limit_is_named_as_such(datasette, db_name, monkeypatch):
    from openup_plugins import facets
    endless = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1e9) "
               "SELECT 'x' AS value, count(*) AS count FROM n")
    monkeypatch.setattr(facets, "summary_count_sql", lambda column, filtered_on: endless)
    page = await datasette.client.get(f"/{db_name}/leverantorsreskontra.json?_facet=konto_nr&_=slow")
    assert page.status_code == 200 and page.json()["facet_results"] == {}
    html = await datasette.client.get(f"/{db_name}/leverantorsreskontra?_facet=konto_nr&_=slow")
    assert html.status_code == 200 and "Dessa sammanställningar tog för lång tid: kopare_id, konto_nr" in html.text


async def test_one_buyers_ledger_page_counts_sums_and_facets_every_row_of_that_buyer(datasette, db_name, sample_db):
    with sqlite3.connect(sample_db) as conn:
        buyers = conn.execute("SELECT kopare_id, count(*), round(sum(nettobelopp), 2) FROM leverantorsreskontra "
                              "GROUP BY 1 ORDER BY 1").fetchall()
        assert len(buyers) > 3
        for buyer, count, total in buyers + [("000000-0000", 0, None)]:
            query = f"kopare_id={buyer}&_facet=konto_nr&_facet=forvaltning&_facet_size=max"
            page = (await datasette.client.get(f"/{db_name}/leverantorsreskontra.json?{query}")).json()
            assert page["filtered_table_rows_count"] == count, buyer
            assert _facet_counts(page) == ({buyer: count} if count else {})
            assert all(r["selected"] for r in page["facet_results"]["kopare_id"]["results"])
            for column in ("konto_nr", "forvaltning"):
                expected = conn.execute(f"SELECT {column}, count(*) FROM leverantorsreskontra WHERE kopare_id = ? "
                                        f"AND {column} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1", [buyer]).fetchall()
                assert list(_facet_counts(page, column).items()) == expected, (buyer, column)
            html = (await datasette.client.get(f"/{db_name}/leverantorsreskontra?kopare_id={buyer}")).text
            assert total is None or f"{number(total, 2)} kr" in html, buyer


async def test_a_months_ledger_page_counts_sums_and_facets_every_row_of_that_month(datasette, db_name, sample_db):
    """The pages link a month's figures (of every buyer, or of one) to the ledger filtered on the
    month's first day to the 31st: such a page is read from kopare_manad and the month's summaries."""
    with sqlite3.connect(sample_db) as conn:
        buyer = conn.execute("SELECT kopare_id FROM leverantorsreskontra GROUP BY 1 ORDER BY count(*) DESC").fetchone()[0]
        months = [m for (m,) in conn.execute("SELECT DISTINCT substr(bokforingsdatum, 1, 7) FROM leverantorsreskontra")]
        assert len(months) > 12
        for month, of_buyer in [(m, None) for m in months] + [(m, buyer) for m in months]:
            where, params = "substr(bokforingsdatum, 1, 7) = ?" + (" AND kopare_id = ?" if of_buyer else ""), \
                [month, *([of_buyer] if of_buyer else [])]
            count, total = conn.execute(f"SELECT count(*), round(sum(nettobelopp), 2) FROM leverantorsreskontra "
                                        f"WHERE {where}", params).fetchone()
            query = (f"bokforingsdatum__gte={month}-01&bokforingsdatum__lte={month}-31"
                     + (f"&kopare_id={of_buyer}" if of_buyer else ""))
            page = (await datasette.client.get(f"/{db_name}/leverantorsreskontra.json?{query}"
                                               "&_facet=konto_nr&_facet_size=max")).json()
            assert page["filtered_table_rows_count"] == count, query
            for column in ("kopare_id", "konto_nr"):
                expected = conn.execute(f"SELECT {column}, count(*) FROM leverantorsreskontra WHERE {where} "
                                        f"AND {column} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1", params).fetchall()
                assert list(_facet_counts(page, column).items()) == expected, (query, column)
            html = (await datasette.client.get(f"/{db_name}/leverantorsreskontra?{query}")).text
            assert total is None or f"{number(total, 2)} kr" in html, query


def test_a_whole_month_is_its_first_day_to_its_last_or_later():
    sql = 'select count(*) from leverantorsreskontra where "bokforingsdatum" >= :p0 and "bokforingsdatum" <= :p1'
    assert summarised_count(sql, {"p0": "2024-02-01", "p1": "2024-02-29"}).where == "manad = '2024-02'"
    assert summarised_count(sql, {"p0": "2023-02-01", "p1": "2023-02-28"}).where == "manad = '2023-02'"
    assert summarised_count(sql, {"p0": "2023-02-01", "p1": "2023-02-31"}).where == "manad = '2023-02'"
    for first, last in (("2024-02-01", "2024-02-28"), ("2024-02-01", "2024-03-01"), ("2024-13-01", "2024-13-31"),
                        ("2024-02-02", "2024-02-29"), ("2024-02", "2024-02-29"), ("2024-02-01\n", "2024-02-29"),
                        (2024, "2024-02-29"), ("2024-02-01", 2025)):  # Datasette passes digits alone as a number
        assert summarised_count(sql, {"p0": first, "p1": last}) is None, (first, last)
    # manad is no column of the ledger (SQLite would read "manad" as a string): counted as it is
    assert summarised_count('select count(*) from leverantorsreskontra where "manad" = :p0', {"p0": "2024-02"}) is None


async def test_filters_like_a_months_but_not_one_are_counted_as_the_rows_they_list(datasette, db_name, sample_db):
    """A year alone (a number to Datasette) or a column the ledger lacks: the count is the page's rows'."""
    for query in ("bokforingsdatum__gte=2023", "bokforingsdatum__gte=2022&bokforingsdatum__lte=2023",
                  "manad=2023-06", "kopare_id=212000-1355&manad=2023-06"):
        page = await datasette.client.get(f"/{db_name}/leverantorsreskontra.json?{query}")
        assert page.status_code == 200, query
        listed = re.sub(r"\s+order by .*$", "", page.json()["query"]["sql"], flags=re.IGNORECASE | re.DOTALL)
        with sqlite3.connect(sample_db) as conn:
            count = conn.execute(f"SELECT count(*) FROM ({listed})", page.json()["query"]["params"]).fetchone()[0]
        assert page.json()["filtered_table_rows_count"] == count, query


async def test_a_months_page_is_counted_from_the_months_totals_and_a_part_of_a_month_is_not(sample_db, tmp_path):
    tampered = tmp_path / sample_db.name
    shutil.copy(sample_db, tampered)
    with sqlite3.connect(tampered) as conn:
        buyer, month = conn.execute("SELECT kopare_id, manad FROM kopare_manad ORDER BY rader DESC").fetchone()
        conn.execute("UPDATE kopare_manad SET rader = rader + 1000000 WHERE kopare_id = ? AND manad = ?", [buyer, month])
    datasette = make_datasette([tampered])
    year, number_of = int(month[:4]), int(month[5:])
    last = calendar.monthrange(year, number_of)[1]
    for days in (("01", "31"), ("01", f"{last}")):
        for of_buyer in ("", f"&kopare_id={buyer}"):
            query = f"bokforingsdatum__gte={month}-{days[0]}&bokforingsdatum__lte={month}-{days[1]}{of_buyer}"
            page = (await datasette.client.get(f"/{tampered.stem}/leverantorsreskontra.json?{query}")).json()
            assert page["filtered_table_rows_count"] > 1000000, query
    for query in (f"bokforingsdatum__gte={month}-02&bokforingsdatum__lte={month}-31",
                  f"bokforingsdatum__gte={month}-01&bokforingsdatum__lte={month}-{last - 1:02d}",
                  f"bokforingsdatum__gte={month}-01&bokforingsdatum__lte={month}-31&konto_nr__notnull=1",
                  f"bokforingsdatum__gt={month}-01&bokforingsdatum__lte={month}-31",
                  f"bokforingsdatum__gte={month}-01"):
        page = (await datasette.client.get(f"/{tampered.stem}/leverantorsreskontra.json?{query}")).json()
        assert page["filtered_table_rows_count"] < 1000000, query  # counted: the rows shown


async def test_the_whole_ledger_and_one_buyers_are_counted_from_the_buyers_totals(sample_db, tmp_path):
    tampered = tmp_path / sample_db.name
    shutil.copy(sample_db, tampered)
    with sqlite3.connect(tampered) as conn:
        conn.execute("UPDATE kopare SET rader = rader + 1000000, summa = 123456789.25 WHERE kopare_id = '212000-1355'")
    datasette = make_datasette([tampered])
    whole = (await datasette.client.get(f"/{tampered.stem}/leverantorsreskontra.json")).json()
    assert _facet_counts(whole)["212000-1355"] > 1000000  # from kopare, not counted
    for one_buyer in ("kopare_id=212000-1355", "kopare_id__exact=212000-1355", "kopare_id=212000-1355&_sort=id"):
        page = (await datasette.client.get(f"/{tampered.stem}/leverantorsreskontra.json?{one_buyer}")).json()
        assert page["filtered_table_rows_count"] > 1000000 and _facet_counts(page)["212000-1355"] > 1000000
    html = (await datasette.client.get(f"/{tampered.stem}/leverantorsreskontra?kopare_id=212000-1355")).text
    assert f"{number(123456789.25, 2)} kr" in html
    for filtered in ("kopare_id__gt=0", "_where=1%3D1", "kopare_id__notnull=1", "_facet=kopare_id&_sort=id&_next=0",
                     "kopare_id=212000-1355&konto_nr__notnull=1", "kopare_id=212000-1355&_where=1%3D1"):
        page = (await datasette.client.get(f"/{tampered.stem}/leverantorsreskontra.json?{filtered}")).json()
        assert _facet_counts(page)["212000-1355"] < 1000000, filtered  # counted: the rows shown
        assert page["filtered_table_rows_count"] < 1000000, filtered
    sql = "select count(*) from leverantorsreskontra where kopare_id = :p0 and 1 = 1"
    asked = await datasette.client.get(f"/{tampered.stem}.json?sql={sql}&p0=212000-1355&_shape=array")
    assert asked.json()[0]["count(*)"] < 1000000  # a reader's own query runs as written


async def test_a_ledger_without_summaries_is_faceted_and_summed_by_datasette(tmp_path):
    """A buyer's file from `openup export`, opened in Datasette with the plugins installed."""
    exported = tmp_path / "leverantorsreskontra_212000-1355.db"
    with sqlite3.connect(exported) as conn:
        conn.execute("CREATE TABLE leverantorsreskontra (id INTEGER PRIMARY KEY, kopare_id TEXT, nettobelopp REAL)")
        conn.executemany("INSERT INTO leverantorsreskontra (kopare_id, nettobelopp) VALUES (?, ?)",
                         [("212000-1355", 10.5)] * 3 + [("232100-0131", 1.25)])
    datasette = make_datasette([exported])
    page = await datasette.client.get(f"/{exported.stem}/leverantorsreskontra.json?_facet=kopare_id")
    assert page.status_code == 200 and _facet_counts(page.json()) == {"212000-1355": 3, "232100-0131": 1}
    html = await datasette.client.get(f"/{exported.stem}/leverantorsreskontra")
    assert html.status_code == 200 and number(32.75, 2) + " kr" in html.text


def test_the_map_background_draws_sweden_and_its_borders():
    import io

    from openup_plugins.maptiles import KOMMUN_BORDER, LAN_BORDER, LAND, SEA, tile_png
    from PIL import Image

    def colours(z, x, y):
        return {colour for _, colour in Image.open(io.BytesIO(tile_png(z, x, y))).convert("RGB").getcolors(65536)}

    assert {LAND, SEA, KOMMUN_BORDER, LAN_BORDER} <= colours(5, 17, 8)  # southern Sweden and its coast
    assert colours(5, 12, 8) == {SEA}  # the North Atlantic


async def test_map_tiles_out_of_range_are_not_found(datasette):
    assert (await datasette.client.get("/-/kartbakgrund/5/17/8.png")).headers["content-type"] == "image/png"
    assert (await datasette.client.get("/-/kartbakgrund/3/8/0.png")).status_code == 404
    assert (await datasette.client.get("/-/kartbakgrund/20/1/1.png")).status_code == 404
