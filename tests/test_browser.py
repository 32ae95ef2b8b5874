"""Pages in a real headless Chromium (Debian's), against the instance served on localhost:
drawn charts and markers, no JavaScript errors, no request leaving this machine, and axe-core
(bundled by axe-playwright-python) finding no serious or critical accessibility violation at
desktop and phone width."""

from __future__ import annotations

import io
import json
import sqlite3
import urllib.request

import pytest
from openup_plugins.maptiles import LAND

from .browser import Visit, chromium, needs_chromium, serving
from .conftest import run_openup

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(sample_db):
    with serving(sample_db) as base:
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


def test_front_page(server, browser):
    visit = Visit(browser, server + "/")
    assert visit.page.locator("h1").inner_text() == "Open Up – offentliga inköp"
    assert visit.page.locator("table.coverage tbody tr").count() > 0
    visit.assert_clean(server)


def test_table_page(server, browser):
    visit = Visit(browser, server + "/openup/leverantorsreskontra")
    assert visit.page.locator("table.rows-and-columns tbody tr").count() == 50
    visit.assert_clean(server)


def test_canned_query_draws_its_vega_chart(server, browser):
    url = (server + "/openup/storsta_leverantorer?kopare_id=212000-1355&ar=2023"
           "#g.mark=bar&g.x_column=leverantor&g.x_type=ordinal&g.y_column=summa"
           "&g.y_type=quantitative")
    visit = Visit(browser, url)
    page = visit.page
    page.wait_for_selector(".vega-embed canvas, .vega-embed svg", timeout=15_000)
    marks = page.evaluate("""() => {
        const svg = document.querySelectorAll('.vega-embed svg .mark-rect path');
        if (svg.length) return svg.length;
        const canvas = document.querySelector('.vega-embed canvas');
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let bar = 0;  // pixels in Vega's default bar colour #4c78a8: bars, not just axes and labels
        for (let i = 0; i < data.length; i += 4) {
            if (Math.abs(data[i] - 76) < 12 && Math.abs(data[i + 1] - 120) < 12
                && Math.abs(data[i + 2] - 168) < 12 && data[i + 3] > 200) bar++;
        }
        return bar;
    }""")
    assert marks > 500
    visit.assert_clean(server)


def test_the_scripts_menus_and_chart_options_are_in_swedish(server, browser):
    from openup_plugins.swedish import SCRIPT_WORDS

    visit = Visit(browser, server + "/openup?sql=select+kopare,+summa+from+kopare")
    visit.page.get_by_text("Visa diagramval").click()
    visit.page.get_by_text("Diagramval", exact=True).wait_for()
    text = visit.page.inner_text("body")
    assert not [english for english in SCRIPT_WORDS if english in text.split("\n")]
    visit.page.goto(server + "/openup/kopare")
    visit.page.locator("th svg").first.click()
    assert visit.page.get_by_text("Sortera stigande").is_visible()
    visit.assert_clean(server)


def test_a_reporter_searches_from_the_front_page_and_reaches_the_supplier(server, browser, sample_db):
    with sqlite3.connect(sample_db) as conn:
        supplier, name = conn.execute("SELECT leverantor_id, leverantor FROM leverantorer WHERE leverantor GLOB "
                                      "'*[åäöÅÄÖ]*' ORDER BY summa DESC LIMIT 1").fetchone()
    typed = name.split()[0].lower().translate(str.maketrans("åäö", "aao"))  # as typed without å, ä, ö
    visit = Visit(browser, server + "/", width=390)
    visit.page.fill("#openup-search", typed)
    visit.page.press("#openup-search", "Enter")
    visit.page.wait_for_url("**/sok?q=*")
    visit.page.locator(f"a[href$='/inkop/leverantor/{supplier}']").first.click()
    visit.page.wait_for_url(f"**/inkop/leverantor/{supplier}")
    assert name in visit.page.locator("h1").inner_text()
    visit.assert_clean(server)


def test_a_flag_checked_down_to_its_rows_adds_up(server, browser):
    from openup_plugins.swedish import number

    visit = Visit(browser, server + "/inkop/flaggor/direktupphandling")
    first = visit.page.locator("table.rows-and-columns tbody tr").first
    shown = first.locator("td[data-label='Summa (kr)'] a").inner_text()
    first.locator("td[data-label='Summa (kr)'] a").click()
    visit.page.wait_for_url("**/leverantorsreskontra?**")
    total = visit.page.locator(".ledger-sum").inner_text()
    assert f": {shown} kr" in total and shown == number(float(shown.replace(" ", "").replace(",", ".")), 2)
    visit.assert_clean(server)


def test_map_shows_the_buyers(server, browser):
    visit = Visit(browser, server + "/openup/kopare")
    page = visit.page
    page.wait_for_selector(".leaflet-marker-icon", timeout=15_000)
    assert page.locator(".leaflet-marker-icon").count() >= 1
    tiles = [u for u in visit.requests if "/-/kartbakgrund/" in u]
    assert any(LAND in _colours(urllib.request.urlopen(u).read()) for u in tiles)  # Sweden is drawn
    page.locator(".leaflet-marker-icon:not(.marker-cluster)").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5_000)
    assert " kr i " in popup.inner_text() and "/inkop/kopare/" in popup.locator("a").get_attribute("href")
    visit.assert_clean(server)


def _colours(png: bytes) -> set:
    from PIL import Image

    return {colour for _, colour in Image.open(io.BytesIO(png)).convert("RGB").getcolors(65536)}


AXE_PAGES = ["/", "/sok?q=bygg", "/inkop", "/inkop/kopare/212000-1355", "/inkop/flaggor",
         "/inkop/flaggor/direktupphandling", "/inkop/kvalitet", "/openup", "/openup/leverantorsreskontra?_size=20",
         "/openup/leverantorsreskontra/1", "/openup?sql=select+kopare_id,+kopare,+summa+from+kopare",
         "/inkop/jamfor", "/guide"]


@pytest.mark.parametrize("width", [1400, 390])
@pytest.mark.parametrize("path", AXE_PAGES)
def test_no_serious_accessibility_violation(server, browser, path, width):
    from axe_playwright_python.sync_playwright import Axe

    visit = Visit(browser, server + path, width=width)
    violations = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                  for v in Axe().run(visit.page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert violations == [], path
    visit.page.close()


def test_validator_page_reports_a_good_a_refused_and_a_too_large_file(server, browser, sample_dir, tmp_path):
    from axe_playwright_python.sync_playwright import Axe

    visit = Visit(browser, server + "/validera", width=390)
    visit.page.set_input_files("#validera-fil", str(sample_dir / "goteborg_2023-03.csv"))
    visit.page.click("text=Granska filen")
    visit.page.wait_for_load_state("networkidle")
    verdict = visit.page.inner_text(".validera-dom")
    (report,) = json.loads(run_openup("validate", "--json", sample_dir / "goteborg_2023-03.csv").output)
    counts = f"{report['rader_som_skulle_lasas_in']} av {report['rader_lasta']} rader"
    assert verdict.startswith(f"Filen kan läsas in: {counts}"), verdict
    text = visit.page.inner_text("body")
    assert "ogiltigt belopp '12,34,56'" in text and "Publicera bokföringsdatum på dagen" in text
    violations = [v["id"] for v in Axe().run(visit.page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert violations == []

    refused = tmp_path / "felsida.csv"
    refused.write_text("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>")
    visit.page.set_input_files("#validera-fil", str(refused))
    visit.page.click("text=Granska filen")
    visit.page.wait_for_load_state("networkidle")
    assert "Filen skulle vägras" in visit.page.inner_text(".validera-dom")
    assert "HTML-sida" in visit.page.inner_text(".validera-dom")

    too_large = tmp_path / "stor.csv"
    with too_large.open("wb") as handle:
        handle.truncate(51 * 10**6)
    visit.page.set_input_files("#validera-fil", str(too_large))
    visit.page.click("text=Granska filen")
    message = visit.page.inner_text("#validera-for-stor")
    assert "51 MB, större än gränsen 50 MB" in message, message
    visit.assert_clean(server)
    visit.page.close()
