"""Procurement-pattern views: planted cases each indicator must find, near misses it must not,
the JSON contract, and bad parameters."""

from __future__ import annotations

import asyncio
import math
import re

import pytest
from openup.indicators import INDICATORS
from openup.planted import EXPECTED, score
from openup_plugins.instance import make_datasette

from .planted import A, B, load_ledger, planted_ledger


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    ledger = planted_ledger()
    return make_datasette([load_ledger(tmp_path_factory.mktemp("planted"), ledger)]), ledger


def hits(planted, slug: str, **params) -> list[dict]:
    datasette, _ = planted

    async def fetch():
        response = await datasette.client.get(f"/inkop/flaggor/{slug}.json",
                                              params={"_size": "1000", **params})
        assert response.status_code == 200, response.text
        return response.json()["rows"]

    return asyncio.run(fetch())


def suppliers(planted, rows, year=None) -> set[str]:
    _, ledger = planted
    names = {number: label for label, number in ledger.suppliers.items()}
    return {names.get(r.get("leverantor_id"), r.get("leverantor_id")) for r in rows
            if year is None or r.get("ar") == year}


def test_direct_award_over_the_limit_without_contract(planted):
    flagged = suppliers(planted, hits(planted, "direktupphandling", kopare=A[0]))
    assert {"Över gränsen", "Över 2021"} <= flagged
    assert not {"Under gränsen", "Med avtal", "Under 2022", "Delad"} & flagged
    _, ledger = planted
    row = next(r for r in hits(planted, "direktupphandling", kopare=A[0], ar="2021")
               if r["leverantor_id"] == ledger.suppliers["Över 2021"])
    assert (row["grans"], row["summa"]) == (615312.0, 620000.0)


def test_split_invoices_just_under_the_limit(planted):
    rows = hits(planted, "delade-fakturor")
    assert suppliers(planted, rows) == {"Delad"}
    first = min(rows, key=lambda r: r["bokforingsdatum"])
    assert (first["fakturor"], first["summa"]) == (3, 2_065_000.0)
    assert hits(planted, "delade-fakturor", fonster="5") == []  # seven days apart at least


def test_duplicates_same_amount_and_day(planted):
    rows = hits(planted, "dubbletter")
    assert suppliers(planted, rows) == {"Dubbel"}
    assert (rows[0]["belopp"], rows[0]["summa"], rows[0]["fakturor"]) == (48312.5, 96625.0, 2)


def test_concentration_at_the_dominated_buyer_only(planted):
    rows = hits(planted, "koncentration", ar="2023")
    assert {r["kopare_id"] for r in rows} == {B[0]}
    assert rows[0]["hhi"] > 9000 and rows[0]["andel_topp"] > 95


def test_year_end_spike(planted):
    rows = hits(planted, "arsslut")
    assert [(r["kopare_id"], r["ar"]) for r in rows] == [(B[0], 2023)]
    assert rows[0]["kvot"] == pytest.approx(10, rel=0.05)


def test_benford_flags_amounts_that_all_begin_with_one(planted):
    rows = hits(planted, "benford")
    assert {(r["kopare_id"], r["ar"]) for r in rows} == {(B[0], 2023)}
    assert rows[0]["mest_overrepresenterad"] == 1


def test_round_amounts(planted):
    flagged = suppliers(planted, hits(planted, "jamna-belopp", kopare=A[0]))
    assert "Jämn" in flagged and "Få jämna" not in flagged


def test_one_buyer_suppliers(planted):
    flagged = suppliers(planted, hits(planted, "en-kopare"))
    assert "Ensam" in flagged
    assert not {"Två köpare", "Liten", "Dominant"} & flagged


def test_the_benchmarks_score_counts_every_planted_case(planted):
    """EXPECTED (what the patterns benchmark scores against) names each indicator's cases as
    the tests above find them."""
    assert set(EXPECTED) == set(INDICATORS)
    for slug in EXPECTED:
        result = score(slug, hits(planted, slug), planted[1], (A, B))
        assert (result["recall"], result["precision"]) == (1, 1), result


def test_every_hit_names_its_keys_and_links_the_rows_behind(planted):
    datasette, _ = planted
    for slug in INDICATORS:
        for row in hits(planted, slug):
            assert re.fullmatch(r"\d{6}-\d{4}", row["kopare_id"]), slug
            behind = row["rader_url"].replace("http://localhost", "").replace(
                "leverantorsreskontra?", "leverantorsreskontra.json?_shape=array&_size=max&")
            response = asyncio.run(datasette.client.get(behind))
            assert response.status_code == 200 and response.json(), (slug, behind)
            if "summa" in row:  # the rows behind are exactly the figure's
                assert round(sum(r["nettobelopp"] for r in response.json()), 2) == row["summa"], (slug, row)


def test_lists_page_with_next(planted):
    first = hits(planted, "jamna-belopp", _size="1")
    datasette, _ = planted
    response = asyncio.run(datasette.client.get("/inkop/flaggor/jamna-belopp.json",
                                                params={"_size": "1"}))
    body = response.json()
    assert len(body["rows"]) == 1 and body["next"]
    assert body["rows"] == first[:1]


@pytest.mark.parametrize("path, status", [
    ("/inkop/flaggor/okand.json", 404),
    ("/inkop/flaggor/direktupphandling.json?kopare=123", 400),
    ("/inkop/flaggor/direktupphandling.json?kopare=212000-1356", 404),  # well-formed, wrong check digit
    ("/inkop/flaggor/direktupphandling.json?kopare=212000-2080", 404),  # valid, not in the data
    ("/inkop/kvalitet.json?kopare=2120002080", 404),
    ("/inkop/jamfor.json?kopare=212000-1355&kopare=212000-2080", 404),
    ("/inkop/flaggor/direktupphandling.json?ar=1800", 400),
    ("/inkop/flaggor/direktupphandling.json?ar=tjugo", 400),
    ("/inkop/flaggor/direktupphandling.json?_size=100000", 400),
    ("/inkop/flaggor/direktupphandling.json?lag=XYZ", 400),
    ("/inkop/flaggor/delade-fakturor.json?andel=abc", 400),
    ("/inkop/kopare/212000-2080.json", 404),  # valid, not in the data
    ("/inkop/leverantor/556036-0793.json", 404),
    ("/inkop/jamfor.json?kopare=212000-1355", 400),
    ("/inkop/flaggor/okand", 404),
])
def test_bad_parameters_and_unknown_ids(planted, path, status):
    datasette, _ = planted
    response = asyncio.run(datasette.client.get(path))
    assert response.status_code == status, response.text
    if path.split("?")[0].endswith(".json"):
        assert response.json()["error"]


def test_pages_and_twins_answer(planted):
    datasette, ledger = planted
    paths = ["/inkop", "/inkop/flaggor", "/inkop/kvalitet", f"/inkop/kopare/{A[0]}",
             f"/inkop/leverantor/{ledger.suppliers['Dominant']}",
             f"/inkop/jamfor?kopare={A[0]}&kopare={B[0]}", *(f"/inkop/flaggor/{s}" for s in INDICATORS)]
    for path in paths:
        page = asyncio.run(datasette.client.get(path))
        assert page.status_code == 200, path
        base, _, query = path.partition("?")
        twin = asyncio.run(datasette.client.get(f"{base}.json" + (f"?{query}" if query else "")))
        assert twin.status_code == 200 and twin.json(), path


HOSTILE_VALUES = ["", " ", "0", "-1", "1e309", "NaN", "inf", "9" * 40, "2023.5", "ÅÄÖ", "%00",
                  "' OR 1=1 --", "<script>", "../../etc/passwd", "212000-1355", "2120001355",
                  "556677-8899", "LOU", "x" * 2000]


def test_fuzzed_parameters_never_answer_500(planted):
    datasette, _ = planted
    routes = {f"/inkop/flaggor/{slug}.json": ["kopare", "ar", "_size", "_next",
                                             *(p.name for p in indicator.parameters)]
              for slug, indicator in INDICATORS.items()}
    routes.update({"/inkop.json": ["ar"], "/inkop/flaggor.json": ["kopare", "ar"],
                   "/inkop/kvalitet.json": ["kopare", "ar"], f"/inkop/kopare/{A[0]}.json": ["ar"],
                   "/inkop/jamfor.json": ["kopare", "konto", "leverantor"]})
    checked = 0
    for path, names in routes.items():
        for name in names:
            for value in HOSTILE_VALUES:
                response = asyncio.run(datasette.client.get(path, params={name: value}))
                assert response.status_code in (200, 400, 404), (path, name, value, response.text)
                checked += 1
    for value in HOSTILE_VALUES:
        for prefix in ("/inkop/kopare/", "/inkop/leverantor/", "/inkop/flaggor/"):
            response = asyncio.run(datasette.client.get(prefix + value.replace("/", "%2F") + ".json"))
            assert response.status_code in (200, 302, 400, 404), (prefix, value)
            checked += 1
    assert checked > 1000


def test_the_comparison_is_reached_from_the_overview_and_buyers_picked_by_name(planted):
    datasette, _ = planted
    overview = asyncio.run(datasette.client.get("/inkop")).text
    assert 'href="/inkop/jamfor"' in overview
    form = asyncio.run(datasette.client.get("/inkop/jamfor"))
    assert form.status_code == 200
    picked = re.findall(r'name="kopare" value="([^"]+)"> ([^<\n]+)', form.text)
    assert {name.strip() for _, name in picked} == {A[1], B[1]}
    compared = asyncio.run(datasette.client.get("/inkop/jamfor.json", params=[("kopare", v) for v, _ in picked]))
    assert compared.status_code == 200 and {r["kopare"] for r in compared.json()["rows"]} == {A[1], B[1]}


def test_every_hit_names_its_buyer_and_supplier_beside_their_numbers(planted):
    _, ledger = planted
    labels = {number: f"{label} AB" for label, number in ledger.suppliers.items()}
    for slug in INDICATORS:
        for row in hits(planted, slug):
            assert row["kopare"] == {A[0]: A[1], B[0]: B[1]}[row["kopare_id"]], slug
            if row.get("leverantor_id"):
                assert row["leverantor"] == labels[row["leverantor_id"]], slug
            keys = list(row)
            assert keys.index("kopare") == keys.index("kopare_id") + 1, slug
            if "leverantor_id" in keys:
                assert keys.index("leverantor") == keys.index("leverantor_id") + 1, slug


def test_flag_pages_head_their_columns_in_words(planted):
    datasette, _ = planted
    for slug in INDICATORS:
        html = asyncio.run(datasette.client.get(f"/inkop/flaggor/{slug}")).text
        headings = re.findall(r'<th scope="col">([^<]*)</th>', html)
        assert "Köpare" in headings, slug
        assert not [h for h in headings if re.fullmatch(r"[a-z_]+", h)], (slug, headings)


def test_a_flags_csv_holds_every_hit_not_a_page(planted):
    import csv as csv_module
    import io

    datasette, _ = planted
    for slug in INDICATORS:
        every = hits(planted, slug)
        response = asyncio.run(datasette.client.get(f"/inkop/flaggor/{slug}.csv", params={"_size": "1"}))
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        rows = list(csv_module.DictReader(io.StringIO(response.text)))
        assert len(rows) == len(every), slug
        assert {r["kopare_id"] for r in rows} == {h["kopare_id"] for h in every}
    page = asyncio.run(datasette.client.get("/inkop/flaggor/dubbletter")).text
    assert 'href="/inkop/flaggor/dubbletter.csv"' in page


def test_a_number_with_a_wrong_check_digit_is_not_found_and_says_why(planted):
    datasette, _ = planted
    for path in ("/inkop/kopare/212000-1356.json", "/inkop/flaggor.json?kopare=212000-1356"):
        answer = asyncio.run(datasette.client.get(path))
        assert answer.status_code == 404 and "kontrollsiffran" in answer.json()["error"], path


def test_benford_counts_first_digits_at_every_boundary(tmp_path):
    """The indicator counts an amount's first digit by the interval it lies in; a count in
    Python of each invoice's first digit gives the same MAD, for amounts on and just off the
    intervals' edges, below zero, and from 10 kr to 10^15 kr."""
    from openup.database import connect, ensure_schema

    db = connect(tmp_path / "benford.db")
    ensure_schema(db)
    edges = [m * d + offset for m in (10 ** k for k in range(1, 16)) for d in range(1, 10)
             for offset in (-0.01, 0, 0.004, 0.5)]
    amounts = [*edges, *(-a for a in edges[::3]), 9.99, -9.99, 0.0]
    invoices = [("212000-0001" if i % 2 else "212000-0002", 2023 + i % 3, a) for i, a in enumerate(amounts)]
    db.conn.executemany("INSERT INTO kopare (kopare_id, kopare) VALUES (?, ?)",
                        [(b, b) for b in ("212000-0001", "212000-0002")])
    db.conn.executemany("INSERT INTO fakturor (kopare_id, ar, summa) VALUES (?, ?, ?)", invoices)
    indicator = INDICATORS["benford"]
    found = db.conn.execute(indicator.sql, {"kopare": "", "ar": "", **indicator.arguments(
        {"mad": "0", "min_fakturor": "10"})}).fetchall()
    expected = {}
    for buyer, year, amount in invoices:
        if abs(amount) >= 10:
            expected.setdefault((buyer, year), []).append(int(str(int(abs(amount)))[0]))
    benford = [math.log10(1 + 1 / d) for d in range(1, 10)]
    mad = {key: round(sum(abs(digits.count(d) / len(digits) - benford[d - 1]) for d in range(1, 10)) / 9, 4)
           for key, digits in expected.items()}
    assert {(buyer, year): (count, value) for buyer, year, count, value, _ in found} == {
        key: (len(expected[key]), mad[key]) for key in expected}
