"""One visitor cannot take the instance down (issue 11): values and SQLite memory are bounded,
malformed parameters answer 400 on every route, streams stop when their client goes, and
SIGTERM ends the server promptly."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from urllib.parse import urlsplit

import pytest
from openup_plugins.instance import make_datasette

from .browser import serving


@pytest.fixture(scope="module")
def datasette(sample_db):
    return make_datasette([sample_db])


BAD_PARAMETERS = [
    "/inkop.json?ar=%C2%B2", "/inkop.json?_size=%C2%B2", "/inkop.json?_next=%C2%B2",
    "/inkop.json?_next=" + "9" * 5000,
    "/inkop/flaggor/koncentration.json?hhi=NaN", "/inkop/flaggor/jamna-belopp.json?faktor=nan",
    "/openup/konton.json?_sort=nosuchcolumn", "/openup/konton/NaN.json",
    "/openup/leverantorsreskontra.json?_through=null", "/openup/leverantorsreskontra.json?_timelimit=abc",
    "/openup/leverantorsreskontra.json?nettobelopp__gte=" + "9" * 100,
    "/openup/leverantorsreskontra?_timelimit=abc",
]


@pytest.mark.parametrize("path", BAD_PARAMETERS)
def test_malformed_parameters_answer_400_with_a_reason(datasette, path):
    response = asyncio.run(datasette.client.get(path))
    assert response.status_code == 400, response.text[:300]
    if ".json" in path:
        body = response.json()
        assert body["ok"] is False and body["error"]


@pytest.mark.parametrize("sql", ["select zeroblob(999000000)", "select hex(randomblob(400000000))"])
def test_values_too_large_are_refused_not_built(datasette, sql):
    response = asyncio.run(datasette.client.get("/openup.json", params={"sql": sql}))
    assert response.status_code == 400
    assert "too big" in response.json()["error"]


def test_a_stream_stops_when_its_client_goes(datasette):
    """The CSV of the whole ledger, page after page; the client leaves after the first chunk."""
    app = datasette.app()
    sent, after_leaving, asked = [], [], []
    left = asyncio.Event()

    async def receive():  # as a server does: the request, then nothing until the client leaves
        asked.append(1)
        if len(asked) == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.body":
            (after_leaving if left.is_set() else sent).append(message)
            left.set()
            await asyncio.sleep(0.01)

    scope = {"type": "http", "http_version": "1.1", "method": "GET", "scheme": "http", "root_path": "",
             "path": "/openup/leverantorsreskontra.csv", "raw_path": b"/openup/leverantorsreskontra.csv",
             "query_string": b"_stream=on&_size=max", "headers": [(b"host", b"localhost")],
             "server": ("localhost", 80), "client": ("127.0.0.1", 5000)}
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 30))
    assert len(sent) == 1 and after_leaving == []


def test_sigterm_ends_the_server_while_a_download_is_stuck(sample_db):
    with serving(sample_db) as base:
        address = urlsplit(base)
        client = socket.create_connection((address.hostname, address.port))
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.sendall(b"GET /openup.db HTTP/1.1\r\n"
                       b"Host: localhost\r\n\r\n")  # and never read the answer
        time.sleep(1)
        started = time.monotonic()
        base.process.send_signal(signal.SIGTERM)
        try:
            base.process.wait(15)
        finally:
            client.close()
        assert time.monotonic() - started < 10


def test_ad_hoc_sql_cannot_take_every_sql_thread(sample_db, monkeypatch):
    """Two ad hoc queries at once; a third that cannot get its turn is told to come back (429),
    while pages are answered meanwhile."""
    from openup_plugins import capacity

    monkeypatch.setattr(capacity, "WAIT_FOR_TURN_S", 0.5)
    datasette = make_datasette([sample_db])
    slow = ("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 100000000) "
            "SELECT count(*) FROM r")

    async def scenario():
        queries = [asyncio.ensure_future(datasette.client.get("/openup.json", params={"sql": slow}))
                   for _ in range(3)]
        page = await datasette.client.get("/inkop.json")
        return page, await asyncio.gather(*queries)

    page, answers = asyncio.run(scenario())
    assert page.status_code == 200
    assert sorted(a.status_code for a in answers) == [400, 400, 429]  # two stopped by the time limit
    assert "försök igen" in next(a for a in answers if a.status_code == 429).json()["error"]


def test_the_front_page_is_rendered_once_per_instance(sample_db, tmp_path):
    """Each instance answers with its own front page, the same every time."""
    import shutil

    other = tmp_path / "annan.db"
    shutil.copy(sample_db, other)
    first, second = make_datasette([sample_db]), make_datasette([other], inspect=False)
    pages = [asyncio.run(d.client.get("/")).text for d in (first, second, first)]
    assert pages[0] == pages[2] and "annan" in pages[1] and "annan" not in pages[0]


@pytest.mark.parametrize("path", [
    "/openup.json?sql=WITH+RECURSIVE+r(i)+AS+(SELECT+1+UNION+ALL+SELECT+i%2B1+FROM+r)+SELECT+count(*)+FROM+r"
    "&_timelimit=5",
    "/openup/leverantorsreskontra?konto_text__contains=zz&_sort=konto_text&_timelimit=1",
])
def test_a_query_stopped_by_the_time_limit_says_so_in_swedish_and_points_to_the_summaries(datasette, path):
    answer = asyncio.run(datasette.client.get(path))
    assert answer.status_code == 400
    text = answer.json()["error"] if path.startswith("/openup.json") else answer.text
    assert "tidsgränsen (" in text and "kopare_leverantor_manad" in text
