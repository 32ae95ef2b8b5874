"""Helpers for tests in Debian's headless Chromium: serve a database, open pages, record what
they logged and every URL they requested."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian package chromium not installed")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served(str):
    """The base URL of an instance being served, with its server process."""

    process: subprocess.Popen


@contextmanager
def serving(database: Path):
    """`openup serve database` on a free port; yields the base URL (a Served). The server's
    messages go to a file, not a pipe nobody reads until the end (a full pipe stops the server)."""
    port = free_port()
    openup = Path(sys.executable).parent / "openup"
    with tempfile.TemporaryFile() as messages:
        process = subprocess.Popen([openup, "serve", database, "--port", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=messages)
        base = Served(f"http://127.0.0.1:{port}")
        base.process = process
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    messages.seek(0)
                    raise RuntimeError(messages.read().decode()) from None
                time.sleep(0.2)
        try:
            yield base
        finally:
            process.terminate()
            process.wait(10)


@contextmanager
def chromium(profile: Path):
    """A headless Chromium with a fresh profile folder."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield context
        context.close()


class Visit:
    """A page opened in Chromium, with what it logged and every URL it requested."""

    def __init__(self, browser, url: str, width: int = 1280):
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page()
        self.page.set_viewport_size({"width": width, "height": 900})
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.goto(url, wait_until="networkidle")

    def assert_clean(self, base: str) -> None:
        assert self.errors == []
        assert self.dialogs == []  # no script of the data's ran
        outside = [u for u in self.requests if not u.startswith((base, "data:", "blob:"))]
        assert outside == [], "requests left localhost"
