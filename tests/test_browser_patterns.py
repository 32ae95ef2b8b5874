"""The /inkop pages in headless Chromium: charts drawn by the vendored Vega, no JavaScript
errors, nothing fetched off localhost, and suppliers' names shown as text, never run."""

from __future__ import annotations

import pytest

from .browser import Visit, chromium, needs_chromium, serving
from .conftest import run_openup
from .planted import A, planted_ledger

pytestmark = needs_chromium
HOSTILE_NAMES = ("<script>alert(1)</script>", '"><img src=x onerror=alert(2)>')


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    ledger = planted_ledger()
    for amount, name in zip((6_000_000, 5_500_000), HOSTILE_NAMES):  # the largest suppliers
        ledger.invoice(A, name, "2023-05-05", amount)
    db = folder / "openup.db"
    assert run_openup("load", "--db", db, ledger.write(folder / "ledger.csv")).exit_code == 0
    with serving(db) as base, chromium(folder / "profile") as browser:
        yield base, browser, ledger


def marks(visit: Visit) -> int:
    visit.page.wait_for_selector(".inkop-diagram svg", timeout=15_000)
    return visit.page.evaluate(
        "() => document.querySelectorAll('.inkop-diagram svg .mark-rect path, "
        ".inkop-diagram svg .mark-line path, .inkop-diagram svg .mark-symbol path').length")


@pytest.mark.parametrize("path", ["/inkop", f"/inkop/kopare/{A[0]}"])
def test_charts_are_drawn(site, path):
    base, browser, _ = site
    visit = Visit(browser, base + path)
    assert marks(visit) > 10
    visit.assert_clean(base)


@pytest.mark.parametrize("path", [
    "/inkop", f"/inkop/kopare/{A[0]}", "/inkop/flaggor/direktupphandling?_size=200",
    "/openup/leverantorsreskontra?leverantor__contains=alert",
])
def test_hostile_names_are_text(site, path):
    base, browser, _ = site
    visit = Visit(browser, base + path)
    if path.startswith("/inkop") and "flaggor" not in path:
        marks(visit)  # charts drawn too, with the names as labels
    text = visit.page.inner_text("body")
    for name in HOSTILE_NAMES:
        assert f"{name} AB" in text
    assert visit.page.locator("img[src=x]").count() == 0
    visit.assert_clean(base)


def test_supplier_page_of_a_hostile_name(site):
    base, browser, ledger = site
    visit = Visit(browser, f"{base}/inkop/leverantor/{ledger.suppliers[HOSTILE_NAMES[1]]}")
    assert visit.page.locator("h1").inner_text() == f"{HOSTILE_NAMES[1]} AB"
    marks(visit)
    assert visit.page.locator("img[src=x]").count() == 0
    visit.assert_clean(base)
