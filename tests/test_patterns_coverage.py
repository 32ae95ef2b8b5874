"""What the /inkop figures cover, on a ledger with gaps (issue 9, points 8, 9, 11 and 12):
buyers that publish no contracts are not assessed for direct awards, totals say how many months
of their years they cover and charts leave missing months as gaps, counts are true counts, and
every .json twin pages as Datasette does."""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import urlencode, urlsplit

import pytest
from openup.indicators import INDICATORS
from openup_plugins.instance import make_datasette

from .browser import Visit, chromium, needs_chromium, serving
from .planted import A, B, Ledger, load_ledger

LARGE = 60  # A's direct awards without contract in 2023: more than a page of 50
NO_CONTRACT = "ingen rad under året anger avtal"


def gaps_ledger() -> Ledger:
    """A publishes January to March 2023 and names a contract on one row; B publishes only
    March 2016 and December 2022 and names no contract on any row."""
    ledger = Ledger(seed=9)
    ledger.invoice(A, "Med avtal", "2023-01-10", 5_000, contract="AVT-1")
    for n in range(LARGE):
        ledger.invoice(A, f"Stor {n}", f"2023-02-{1 + n % 28:02d}", 800_000 + n)
    ledger.invoice(A, "Mars", "2023-03-15", 12_000)
    ledger.invoice(B, "Tidig", "2016-03-10", 100_000)
    ledger.invoice(B, "Utan avtal", "2022-12-05", 900_000)
    return ledger


@pytest.fixture(scope="module")
def gaps(tmp_path_factory):
    ledger = gaps_ledger()
    db = load_ledger(tmp_path_factory.mktemp("gaps"), ledger)
    return make_datasette([db]), ledger, db


def get(gaps, path: str, status: int = 200, **params):
    """The page or its .json twin; params are added to the path's own query."""
    twin = path.partition("?")[0].endswith(".json")
    if params:
        path += ("&" if "?" in path else "?") + urlencode(params, doseq=True)
    response = asyncio.run(gaps[0].client.get(path))
    assert response.status_code == status, (path, response.text)
    return response.json() if twin else response.text


def chart(html: str, element: str) -> dict:
    found = re.search(rf'data-vega-lite="{element}">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def buyer_name(gaps, buyer: str) -> str:
    return get(gaps, f"/inkop/kopare/{buyer}.json")["kopare"]["kopare"]


# 8. Direct awards: a buyer that names no contract on any row of a year is not assessed.

def test_buyer_without_any_contract_is_listed_not_flagged(gaps):
    body = get(gaps, "/inkop/flaggor/direktupphandling.json", _size="1000")
    assert {r["kopare_id"] for r in body["rows"]} == {A[0]}  # B's 900 000 kr is not flagged
    assert len(body["rows"]) == LARGE
    assert body["ej_bedomda"] == [
        {"kopare_id": B[0], "kopare": buyer_name(gaps, B[0]), "ar": year, "skal": NO_CONTRACT}
        for year in (2016, 2022)]
    assert get(gaps, "/inkop/flaggor/direktupphandling.json", kopare=A[0])["ej_bedomda"] == []
    assert [r["ar"] for r in get(gaps, "/inkop/flaggor/direktupphandling.json",
                                 ar="2022")["ej_bedomda"]] == [2022]
    assert all(get(gaps, f"/inkop/flaggor/{slug}.json")["ej_bedomda"] == []
               for slug in INDICATORS if slug != "direktupphandling")


def test_page_names_the_buyers_not_assessed_and_why(gaps):
    html = get(gaps, "/inkop/flaggor/direktupphandling")
    section = html[html.index("<h2>Ej bedömda</h2>"):]
    assert buyer_name(gaps, B[0]) in section and NO_CONTRACT in section
    assert f'href="/inkop/kopare/{B[0]}"' in section
    flags = {f["indikator"]: f for f in get(gaps, f"/inkop/kopare/{B[0]}.json", ar="2022")["flaggor"]}
    assert (flags["direktupphandling"]["traffar"], flags["direktupphandling"]["ej_bedomd"]) == (0, NO_CONTRACT)
    assert {f["indikator"]: f["ej_bedomd"] for f in get(gaps, f"/inkop/kopare/{A[0]}.json")["flaggor"]} == {
        slug: None for slug in INDICATORS}
    assert NO_CONTRACT in get(gaps, f"/inkop/kopare/{B[0]}", ar="2022")


# 9. Totals say how much of the year they cover; charts leave missing months as gaps.

def test_buyer_total_names_its_months(gaps):
    total = get(gaps, f"/inkop/kopare/{A[0]}.json", ar="2023")["totalt"]
    assert (total["manader"], total["av_manader"]) == (3, 12)
    assert total["saknade_manader"] == [f"2023-{m:02d}" for m in range(4, 13)]
    assert "3 av 12 månader (saknas: 2023-04–2023-12)" in get(gaps, f"/inkop/kopare/{A[0]}", ar="2023")
    total = get(gaps, f"/inkop/kopare/{B[0]}.json", ar="2022")["totalt"]
    assert (total["manader"], total["saknade_manader"][-1]) == (1, "2022-11")


def test_overview_total_names_its_months(gaps):
    total = get(gaps, "/inkop.json")["totalt"]
    assert (total["manader"], total["av_manader"]) == (5, 96)  # 2016-03, 2022-12, 2023-01…03 of 2016–2023
    assert "2016-04" in total["saknade_manader"] and "2023-02" not in total["saknade_manader"]
    assert "5 av 96 månader" in get(gaps, "/inkop")
    assert get(gaps, "/inkop.json", ar="2023")["totalt"]["manader"] == 3
    assert "3 av 12 månader" in get(gaps, "/inkop", ar="2023")
    buyers = {b["kopare_id"]: b for b in get(gaps, "/inkop.json")["kopare"]}
    assert (buyers[B[0]]["manader"], buyers[B[0]]["av_manader"]) == (2, 84)  # 2016–2022
    assert "2 av 84" in get(gaps, "/inkop")


def test_yearly_figures_elsewhere_name_their_months(gaps):
    _, ledger, _ = gaps
    rows = get(gaps, "/inkop/jamfor.json", kopare=[A[0], B[0]])["rows"]
    assert {(r["kopare_id"], r["ar"], r["manader"], r["av_manader"]) for r in rows} == {
        (B[0], 2016, 1, 12), (B[0], 2022, 1, 12), (A[0], 2023, 3, 12)}
    hit = get(gaps, "/inkop/flaggor/direktupphandling.json", _size="1")["rows"][0]
    assert (hit["manader"], hit["av_manader"]) == (3, 12)
    supplier = get(gaps, f"/inkop/leverantor/{ledger.suppliers['Utan avtal']}.json")
    assert (supplier["totalt"]["manader"], supplier["totalt"]["av_manader"]) == (1, 12)
    assert [(r["ar"], r["manader"]) for r in supplier["per_ar"]] == [(2022, 1)]
    assert "1 av 12 månader" in get(gaps, f"/inkop/leverantor/{ledger.suppliers['Utan avtal']}")


def test_monthly_charts_have_a_time_axis_with_gaps(gaps):
    spec = chart(get(gaps, "/inkop"), "diagram-manad")
    assert spec["encoding"]["x"]["type"] == "temporal"
    assert spec["mark"]["invalid"] == "break-paths-show-domains"  # a null breaks the line
    values = {v["manad"]: v["summa"] for v in spec["data"]["values"]}
    assert list(values) == [f"{y}-{m:02d}" for y in range(2016, 2024) for m in range(1, 13)][2:87]
    assert [m for m, amount in values.items() if amount is not None] == [
        "2016-03", "2022-12", "2023-01", "2023-02", "2023-03"]
    year = chart(get(gaps, f"/inkop/kopare/{A[0]}", ar="2023"), "diagram-manad")["data"]["values"]
    assert [v["manad"] for v in year] == [f"2023-{m:02d}" for m in range(1, 13)]
    assert [v["summa"] is None for v in year] == [False] * 3 + [True] * 9


@needs_chromium
def test_drawn_line_breaks_at_missing_months(gaps, tmp_path):
    _, _, db = gaps
    with serving(db) as base, chromium(tmp_path / "profile") as browser:
        visit = Visit(browser, base + "/inkop")
        visit.page.wait_for_selector("#diagram-manad svg .mark-line path", timeout=15_000)
        path = visit.page.get_attribute("#diagram-manad svg .mark-line path", "d")
        visit.assert_clean(base)
    assert path.count("M") == 2  # 2016-03 alone, then 2022-12 to 2023-03: two pieces of line


# 11. True counts.

@pytest.mark.parametrize("filters", [{}, {"ar": "2023"}, {"kopare": A[0]}, {"ar": "2022"}])
def test_flags_index_counts_every_hit(gaps, filters):
    counts = {r["indikator"]: r for r in get(gaps, "/inkop/flaggor.json", **filters)["rows"]}
    for slug in INDICATORS:
        body = get(gaps, f"/inkop/flaggor/{slug}.json", _size="1000", **filters)
        assert counts[slug]["traffar"] == len(body["rows"]), slug
        assert counts[slug]["ej_bedomda"] == len(body["ej_bedomda"]), slug
    if filters.get("ar") != "2022":
        assert counts["direktupphandling"]["traffar"] == LARGE  # more than a page
        assert re.search(f"<td[^>]*>{LARGE}</td>", get(gaps, "/inkop/flaggor", **filters))


# 12. Datasette's paging conventions on every .json twin.

TWINS = ["/inkop.json", "/inkop/flaggor.json", "/inkop/kvalitet.json", f"/inkop/kopare/{A[0]}.json",
         f"/inkop/jamfor.json?kopare={A[0]}&kopare={B[0]}",
         *(f"/inkop/flaggor/{slug}.json" for slug in INDICATORS)]


def test_size_max_is_the_largest_page(gaps):
    largest = gaps[0].setting("max_returned_rows")
    body = get(gaps, "/inkop/flaggor/direktupphandling.json", _size="max")
    assert len(body["rows"]) == LARGE and body["next"] is None and body["next_url"] is None
    for path in TWINS:
        for size, status in (("max", 200), (str(largest), 200), (str(largest + 1), 400), ("abc", 400)):
            body = get(gaps, path, status, _size=size)
            assert {"next", "next_url"} <= body.keys() if status == 200 else body["error"], path


def test_pages_follow_next_and_next_url(gaps):
    everything = get(gaps, "/inkop/flaggor/direktupphandling.json", _size="1000")["rows"]
    first = get(gaps, "/inkop/flaggor/direktupphandling.json", _size="25")
    assert first["next"] == "25"
    assert first["next_url"] == ("http://localhost/inkop/flaggor/direktupphandling.json"
                                 "?_size=25&_next=25")
    assert get(gaps, "/inkop/flaggor/direktupphandling.json", _size="25",
               _next=first["next"])["rows"] == everything[25:50]
    rows, body = [], first
    while True:
        rows += body["rows"]
        if body["next_url"] is None:
            break
        url = urlsplit(body["next_url"])
        body = asyncio.run(gaps[0].client.get(f"{url.path}?{url.query}")).json()
    assert rows == everything
    assert 'href="http://localhost/inkop/flaggor/direktupphandling?_size=25&amp;_next=25"' in get(
        gaps, "/inkop/flaggor/direktupphandling", _size="25")


def test_every_list_of_rows_pages(gaps):
    for path in ("/inkop/kvalitet.json", "/inkop/flaggor.json",
                 f"/inkop/jamfor.json?kopare={A[0]}&kopare={B[0]}"):
        base, _, query = path.partition("?")
        everything = get(gaps, path, _size="1000")["rows"]
        assert len(everything) > 1, path
        first = get(gaps, path, _size="1")
        assert first["rows"] == everything[:1] and first["next"] == "1", path
        assert first["next_url"].startswith(f"http://localhost{base}?"), path
        url = urlsplit(first["next_url"])
        second = asyncio.run(gaps[0].client.get(f"{url.path}?{url.query}")).json()
        assert second["rows"] == everything[1:2], path
        if query:
            assert query.split("&")[0] in url.query, path  # the other parameters are kept


def test_month_only_data_covers_its_whole_last_month(query, sample_db):
    """Stockholm publishes months only (dated the 1st): its data reaches the month's last day,
    in the buyers' table and in the catalog's period."""
    import calendar
    import sqlite3 as sqlite

    from openup_plugins.dcat.catalog import read_facts

    last_month = query("SELECT max(bokforingsdatum) AS d FROM leverantorsreskontra WHERE kopare_id = '212000-0142'")[0]["d"]
    year, month = int(last_month[:4]), int(last_month[5:7])
    month_end = f"{last_month[:7]}-{calendar.monthrange(year, month)[1]:02d}"
    assert query("SELECT sista_datum FROM kopare WHERE kopare_id = '212000-0142'")[0]["sista_datum"] == month_end
    with sqlite.connect(sample_db) as conn:
        periods = {(d.orgnr, d.year): d.end for d in read_facts(conn, "openup").datasets}
    assert periods["212000-0142", year] == month_end
    day_dated = query("SELECT kopare_id, max(bokforingsdatum) AS d FROM leverantorsreskontra "
                      "WHERE kopare_id = '232100-0131' AND bokforingsdatum LIKE '2023%'")[0]
    assert periods["232100-0131", 2023] == day_dated["d"]  # rows dated to the day: their last day


def test_the_quality_page_names_each_publishers_files_missing_months_and_rejections(sample_db):
    datasette = make_datasette([sample_db])
    body = asyncio.run(datasette.client.get("/inkop/kvalitet.json")).json()
    rejected_files = 0
    for publisher in body["rows"]:
        assert publisher["filer"] and "saknade_manader" in publisher
        if publisher["saknade_manader"]:
            assert any("månader saknas" in r for r in publisher["rekommendationer"])
        for file in publisher["filer"]:
            if file["rader_avvisade"]:
                rejected_files += 1
                url = urlsplit(file["avvisade_url"])
                rows = asyncio.run(datasette.client.get(f"{url.path}.json?{url.query}&_shape=array&_size=max")).json()
                assert len(rows) == file["rader_avvisade"] == sum(o["rader"] for o in file["orsaker"])
    assert rejected_files  # the sample has broken lines
