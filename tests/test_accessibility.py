"""axe-core (bundled by axe-playwright-python, no network) on the main pages in Debian's headless
Chromium, at desktop and phone width: no serious or critical violation."""

from __future__ import annotations

import pytest

from .browser import Visit, chromium, needs_chromium, serving

pytestmark = needs_chromium

PAGES = ["/", "/sok?q=bygg", "/inkop", "/inkop/kopare/212000-1355", "/inkop/flaggor",
         "/inkop/flaggor/direktupphandling", "/inkop/kvalitet", "/openup", "/openup/leverantorsreskontra?_size=20",
         "/openup/leverantorsreskontra/1", "/openup?sql=select+kopare_id,+kopare,+summa+from+kopare",
         "/inkop/jamfor", "/guide"]


@pytest.fixture(scope="module")
def server(sample_db):
    with serving(sample_db) as base:
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@pytest.mark.parametrize("width", [1400, 390])
@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violation(server, browser, path, width):
    from axe_playwright_python.sync_playwright import Axe

    visit = Visit(browser, server + path, width=width)
    violations = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                  for v in Axe().run(visit.page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert violations == [], path
    visit.page.close()
