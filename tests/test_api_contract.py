"""The JSON API keeps the contract /openapi.json states (issue 17): Schemathesis generates requests
from the document for a real served instance and checks every answer against it; methods a route
does not take answer 405 with Allow; Datasette's errors carry their status."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openup_plugins.instance import make_datasette

from .browser import serving

ST = shutil.which("st", path=str(Path(sys.executable).parent))


@pytest.fixture(scope="module")
def datasette(sample_db):
    return make_datasette([sample_db])


@pytest.mark.parametrize("method", ["TRACE", "PUT", "DELETE", "PATCH", "POST"])
@pytest.mark.parametrize("path", ["/", "/openup/kopare.json", "/openup/kopare/212000-1355", "/inkop.json",
                                  "/datasets/dcat.jsonld", "/openup/manadsutgifter.json"])
async def test_a_method_a_route_does_not_take_answers_405(datasette, method, path):
    answer = await datasette.client.request(method, path)
    assert answer.status_code == 405 and answer.headers["allow"] == "GET, HEAD, OPTIONS"
    assert answer.json()["status"] == 405 and method in answer.json()["error"]


async def test_datasettes_errors_carry_their_status(datasette):
    for path in ("/openup/flaggor.json?_shape=object", "/openup/kopare.json?_shape=nosuch"):
        answer = await datasette.client.get(path)
        assert answer.status_code == 400 and answer.json()["ok"] is False, path


async def test_a_databases_csv_twin_without_a_query_is_a_bad_request_not_an_error(datasette):
    """Datasette fails on /<database>.csv (500); with ?sql= it is the query's CSV."""
    answer = await datasette.client.get("/openup.csv")
    assert answer.status_code == 400 and "/openup/leverantorsreskontra.csv" in answer.text
    query = await datasette.client.get("/openup.csv", params={"sql": "SELECT count(*) AS n FROM kopare"})
    assert query.status_code == 200 and query.text.splitlines()[0] == "n"


@pytest.mark.skipif(ST is None, reason="schemathesis not installed")
def test_schemathesis_finds_no_failure(sample_db, tmp_path):
    with serving(sample_db) as base:
        run = subprocess.run([ST, "run", f"{base}/openapi.json", "--checks", "all",
                              "--exclude-checks", "negative_data_rejection", "--max-examples", "30",
                              "--seed", "1"], capture_output=True, text=True, cwd=tmp_path, timeout=1200)
    assert run.returncode == 0, run.stdout[-6000:]
