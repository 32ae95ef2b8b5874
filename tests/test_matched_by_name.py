"""Supplier pages never omit money silently (issue 9, points 3 and 10): payments booked under an
internal number with one of the supplier's names, or with its number among several in one
field, are shown on its page with their sum apart from the sum booked under its number."""

from __future__ import annotations

import asyncio
import random
from urllib.parse import urlsplit

import pytest
from openup_plugins.instance import make_datasette

from .planted import A, B, Ledger, load_ledger


def matching_ledger(seed: int = 3) -> tuple[Ledger, dict[str, str]]:
    ledger = Ledger(seed=seed)
    ledger.invoice(A, "Björkbygg", "2023-02-10", 10_000)
    ids = {"own": ledger.supplier("Björkbygg"), "other": ledger.supplier("Annan")}
    # Rows of the same supplier without its number (as Västerås publishes, or a typing slip).
    ledger.booking(B, "BJÖRKBYGG AKTIEBOLAG", "10234", "2023-03-01", 5_000)
    ledger.booking(B, "Björkbygg AB", "", "2023-03-02", 300)
    # Its number among several in one field, as in "556030-8800 AXSTORES 663000-1557".
    ledger.booking(B, "Axstores", f"{ids['other']} AXSTORES {ids['own']}", "2023-03-03", 700)
    # Near misses: another name under an internal number; a sole trader.
    ledger.booking(B, "Björkbyggarna AB", "10235", "2023-03-04", 9_999)
    ledger.booking(B, "Björkbygg med firma", "", "2023-03-05", 4_444)
    # Another organisation number published under the same name: the name-keyed rows are
    # matched to both, and each page says so.
    ledger.booking(A, "Björkbygg AB", ledger.supplier("Namne"), "2023-03-06", 50)
    return ledger, ids


@pytest.fixture(scope="module", params=["as_written", "shuffled"])
def instance(request, tmp_path_factory):
    ledger, ids = matching_ledger()
    if request.param == "shuffled":
        random.Random(8).shuffle(ledger.lines)
    return make_datasette([load_ledger(tmp_path_factory.mktemp("matching"), ledger)]), ids


def get_json(datasette, path: str):
    response = asyncio.run(datasette.client.get(path))
    assert response.status_code == 200, (path, response.text)
    return response.json()


def test_payments_under_other_keys_are_shown_apart(instance):
    datasette, ids = instance
    page = get_json(datasette, f"/inkop/leverantor/{ids['own']}.json")
    assert page["totalt"]["summa"] == 10_000  # booked under its own number only
    matched = page["matchade_pa_namn"]
    by_key = {r["leverantor"]: r for r in matched["rows"]}
    assert set(by_key) == {"BJÖRKBYGG AKTIEBOLAG", "Björkbygg AB", "Axstores"}
    assert by_key["BJÖRKBYGG AKTIEBOLAG"]["matchning"] == ["namn"]
    assert by_key["Axstores"]["matchning"] == ["bland flera id"]
    assert by_key["Axstores"]["leverantor_id_typ"] == "flera"
    assert matched["summa"] == 5_000 + 300 + 700
    assert by_key["Björkbygg AB"]["andra_organisationsnummer"] == 1  # the namesake
    assert by_key["Axstores"]["andra_organisationsnummer"] == 0


def test_each_matched_figure_links_to_exactly_its_rows(instance):
    datasette, ids = instance
    for row in get_json(datasette, f"/inkop/leverantor/{ids['own']}.json")["matchade_pa_namn"]["rows"]:
        url = urlsplit(row["rader_url"])
        rows = get_json(datasette, f"{url.path}.json?{url.query}&_shape=array&_size=max")
        assert round(sum(r["nettobelopp"] for r in rows), 2) == row["summa"]
        assert len(rows) == row["rader"]


def test_every_number_among_several_finds_the_payment(instance):
    datasette, ids = instance
    other = get_json(datasette, f"/inkop/leverantor/{ids['other']}.json")
    assert [r["leverantor"] for r in other["matchade_pa_namn"]["rows"]] == ["Axstores"]


def test_the_page_says_the_sum_is_apart(instance):
    datasette, ids = instance
    html = asyncio.run(datasette.client.get(f"/inkop/leverantor/{ids['own']}")).text
    assert "BJÖRKBYGG AKTIEBOLAG" in html and "ingår inte i summan" in html


def test_a_number_seen_only_among_several_has_a_page(instance):
    datasette, ids = instance
    html = asyncio.run(datasette.client.get(f"/inkop/leverantor/{ids['other']}")).text
    assert "finns inte som egen leverantör" in html and "Axstores" in html and "None" not in html


def test_the_supplier_page_dates_by_month_as_every_publisher_can(instance):
    """Some publishers give months only (dated the 1st): the page says months, never a day."""
    datasette, ids = instance
    html = asyncio.run(datasette.client.get(f"/inkop/leverantor/{ids['own']}")).text
    assert "första gången 2023-02, senast 2023-02" in html
