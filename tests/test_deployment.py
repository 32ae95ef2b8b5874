"""The Dockerfile's command line, run here as the image would run it (no Docker engine here)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .browser import free_port
from .conftest import run_openup

ROOT = Path(__file__).parent.parent


def dockerfile_command() -> str:
    text = (ROOT / "Dockerfile").read_text()
    return json.loads(re.search(r"^CMD (\[.*\])$", text, re.MULTILINE).group(1))[-1]


def test_dockerfile_prepares_what_the_server_needs():
    text = (ROOT / "Dockerfile").read_text()
    assert "openup inspect databases/openup.db" in text
    assert "openup export --db databases/openup.db databases/exporter" in text
    assert "--exports databases/exporter" in dockerfile_command()


def test_image_command_serves_the_baked_database(sample_db, tmp_path):
    app = tmp_path / "app"
    (app / "databases").mkdir(parents=True)
    shutil.copy(sample_db, app / "databases" / "openup.db")
    assert run_openup("inspect", app / "databases" / "openup.db").exit_code == 0
    assert run_openup("export", "--db", app / "databases" / "openup.db",
                      app / "databases" / "exporter").exit_code == 0
    port = free_port()
    environment = {**os.environ, "PORT": str(port),
                   "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    process = subprocess.Popen(["sh", "-c", dockerfile_command()], cwd=app, env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/openup/kopare.json") as reply:
                    assert json.load(reply)["rows"]
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/databases.json") as reply:
            (database,) = json.load(reply)
        assert database["is_mutable"] is False  # served read-only
    finally:
        process.terminate()
        process.wait(10)
