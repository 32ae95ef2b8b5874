"""One search (/sok and /sok.json, issue 12): by organisation number with or without the
hyphen, by name regardless of case and of å/ä/ö, over suppliers with and without an
organisation number, buyers, and payments by account text or department."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
from openup_plugins.instance import make_datasette

from .planted import A, load_ledger
from .test_matched_by_name import matching_ledger


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    ledger, ids = matching_ledger()
    return make_datasette([load_ledger(tmp_path_factory.mktemp("search"), ledger)]), ids


def found(instance, query: str) -> list[dict]:
    response = asyncio.run(instance[0].client.get("/sok.json", params={"q": query, "_size": "max"}))
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_a_name_is_found_whatever_its_case_and_accents(instance):
    _, ids = instance
    hits = {(h["typ"], h["namn"], h["id"]) for h in found(instance, "bjorkbygg")}
    assert ("leverantor", "Björkbygg AB", ids["own"]) in hits
    assert ("leverantor", "BJÖRKBYGG AKTIEBOLAG", None) in hits  # booked under an internal number
    assert ("leverantor", "Björkbygg AB", None) in hits  # booked with no number
    assert ("leverantor", "Björkbyggarna AB", None) in hits  # a longer name that contains it


@pytest.mark.parametrize("form", ["with hyphen", "digits", "begun"])
def test_an_organisation_number_is_found_with_or_without_its_hyphen(instance, form):
    _, ids = instance
    number = ids["own"]
    query = {"with hyphen": number, "digits": number.replace("-", ""), "begun": number[:8]}[form]
    assert number in {h["id"] for h in found(instance, query) if h["typ"] == "leverantor"}


def test_buyers_and_payments_are_found(instance):
    buyers = found(instance, "goteborgs stad")
    assert [(h["typ"], h["id"]) for h in buyers if h["typ"] == "kopare"] == [("kopare", A[0])]
    payments = found(instance, "konsulttjanster") + found(instance, "stadsledning")
    assert {h.get("falt") for h in payments if h["typ"] == "betalning"} == {"konto", "forvaltning"}


def test_every_hit_links_to_rows_that_add_up_to_its_figure(instance):
    datasette, _ = instance
    for hit in found(instance, "bjorkbygg") + found(instance, "stadsledning"):
        url = urlsplit(hit["rader_url"])
        rows = asyncio.run(datasette.client.get(f"{url.path}.json?{url.query}&_shape=array&_size=max")).json()
        assert round(sum(r["nettobelopp"] for r in rows), 2) == hit["summa"], hit
        assert len(rows) == hit["rader"], hit


def test_the_page_and_bad_queries(instance):
    datasette, ids = instance
    html = asyncio.run(datasette.client.get("/sok", params={"q": "bjorkbygg"})).text
    assert f'href="http://localhost/inkop/leverantor/{ids["own"]}"' in html
    assert asyncio.run(datasette.client.get("/sok.json", params={"q": "x"})).status_code == 400


def test_a_search_says_when_it_shows_only_the_largest(instance, monkeypatch):
    from openup_plugins import search

    monkeypatch.setattr(search, "_MOST", 1)
    body = asyncio.run(instance[0].client.get("/sok.json", params={"q": "bjorkbygg"})).json()
    assert body["avkortat"] is True and body["per_slag"] == 1
    monkeypatch.setattr(search, "_MOST", 500)
    assert asyncio.run(instance[0].client.get("/sok.json", params={"q": "bjorkbyg"})).json()["avkortat"] is False


def test_a_query_of_punctuation_alone_matches_every_name_as_before(instance):
    hits = found(instance, "--")  # folded to nothing, which every folded name contains
    assert {"leverantor", "kopare", "betalning"} <= {h["typ"] for h in hits}
    assert {h["namn"] for h in hits} >= {h["namn"] for h in found(instance, "bjorkbygg")}


def test_a_query_is_found_within_one_name_never_across_two():
    """The folded names are searched as one string, a name to a line: a query that the end of
    one name and the start of the next would make is no hit."""
    from openup_plugins.search import _FoldedTexts, sokform

    names = _FoldedTexts([(sokform(name), value) for value, name in [(1, "Björkbygg AB"), (2, "Ekbygg AB"), (3, "")]])
    assert names.matching("ab ekbygg") == [] and names.matching("ab") == [1, 2] and names.matching("bygg ab") == [1, 2]
    assert names.matching("") == [1, 2, 3]
