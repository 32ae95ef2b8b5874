"""Pages in a real headless Chromium (Debian's), against the instance served on localhost:
drawn charts and markers, no JavaScript errors, no request leaving this machine."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian package chromium not installed")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(sample_db):
    port = free_port()
    openup = Path(sys.executable).parent / "openup"
    process = subprocess.Popen([openup, "serve", sample_db, "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(process.stderr.read().decode()) from None
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield context
        context.close()


class Visit:
    """A page opened in Chromium, with what it logged and every URL it requested."""

    def __init__(self, browser, url: str):
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(url, wait_until="networkidle")

    def assert_clean(self, base: str) -> None:
        assert self.errors == []
        outside = [u for u in self.requests if not u.startswith((base, "data:", "blob:"))]
        assert outside == [], "requests left localhost"


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


def test_map_shows_the_buyers(server, browser):
    visit = Visit(browser, server + "/openup/kopare")
    page = visit.page
    page.wait_for_selector(".leaflet-marker-icon", timeout=15_000)
    assert page.locator(".leaflet-marker-icon").count() >= 1
    assert any("/-/kartbakgrund/" in u for u in visit.requests)
    visit.assert_clean(server)
