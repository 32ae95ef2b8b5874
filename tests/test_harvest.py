"""`openup harvest` against a local HTTP server (127.0.0.1): files, a pattern by month, a paged
JSON API and a DCAT catalog; 304 answers, a changed file, a 500, a timeout and an HTML page."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .browser import serving
from .conftest import run_openup
from .files import v11_lines, v11_objects

FAST = ("--attempts", "3", "--backoff", "0.01", "--timeout", "1")


class Site:
    """Files served at paths; each request recorded as (path, status)."""

    def __init__(self):
        self.files: dict[str, tuple[bytes, str]] = {}  # path -> (body, content type)
        self.failing: dict[str, int] = {}  # path -> 500 answers still to give (-1: always)
        self.slow: set[str] = set()
        self.redirects: dict[str, str] = {}
        self.forbidden: set[str] = set()
        self.log: list[tuple[str, int]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                status = site.answer(self)
                site.log.append((self.path, status))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, request) -> int:
        if request.path in self.redirects:
            request.send_response(302)
            request.send_header("Location", self.redirects[request.path])
            request.send_header("Content-Length", "0")
            request.end_headers()
            return 302
        if request.path in self.slow:
            time.sleep(3)
        if self.failing.get(request.path):
            self.failing[request.path] -= 1
            return self._send(request, 500, b"Internal Server Error", "text/plain")
        if request.path in self.forbidden:  # as a store answers for a file it does not have
            return self._send(request, 403, b"AccessDenied", "application/xml")
        if request.path not in self.files:
            return self._send(request, 404, b"Not Found", "text/plain")
        body, content_type = self.files[request.path]
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return self._send(request, 304, b"", content_type, etag)
        return self._send(request, 200, body, content_type, etag)

    @staticmethod
    def _send(request, status: int, body: bytes, content_type: str, etag: str | None = None) -> int:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        if etag:
            request.send_header("ETag", etag)
        request.end_headers()
        request.wfile.write(body)
        return status

    def csv(self, path: str, count: int, seed: int = 1, month: str = "2023-01") -> str:
        self.files[path] = (("\n".join(v11_lines(count, seed, month)) + "\n").encode(), "text/csv")
        return self.base + path

    def statuses(self, path: str) -> list[int]:
        return [status for logged, status in self.log if logged == path]


@pytest.fixture
def site():
    served = Site()
    yield served
    served.server.shutdown()


def write_sources(path: Path, *publishers: dict) -> Path:
    def value(v):
        return json.dumps(v, ensure_ascii=False)  # TOML's strings and arrays read as JSON's here
    path.write_text("\n".join("[[kalla]]\n" + "\n".join(f"{k} = {value(v)}" for k, v in p.items()) + "\n"
                              for p in publishers), "utf-8")
    return path


def ledger(db: Path, sql: str, params=()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def test_files_load_once_then_are_asked_for_only_if_changed(site, tmp_path):
    january, february = site.csv("/lev_2023-01.csv", 30), site.csv("/lev_2023-02.csv", 20, 2, "2023-02")
    sources = write_sources(tmp_path / "kallor.toml", {"namn": "Göteborgs Stad", "filer": [january, february],
                                                         "licens": "http://creativecommons.org/publicdomain/zero/1.0/"})
    db = tmp_path / "h.db"
    first = run_openup("harvest", "--db", db, *FAST, sources)
    assert first.exit_code == 0, first.output
    assert "Göteborgs Stad: 2 nya, 0 ändrade, 0 oförändrade, 0 vägrade, 0 fel" in first.output
    direct = tmp_path / "direct.db"  # the same files loaded by hand give the same ledger
    for name in ("lev_2023-01.csv", "lev_2023-02.csv"):
        (tmp_path / name).write_bytes(site.files["/" + name][0])
    run_openup("load", "--db", direct, tmp_path / "lev_2023-01.csv", tmp_path / "lev_2023-02.csv")
    rows = "SELECT kopare_id, bokforingsdatum, leverantor, nettobelopp FROM leverantorsreskontra ORDER BY 1, 2, 3, 4"
    assert ledger(db, rows) == ledger(direct, rows) and len(ledger(db, rows)) == 50
    assert ledger(db, "SELECT kalla FROM kallfiler ORDER BY kalla") == [(january,), (february,)]
    assert ledger(db, "SELECT kalla, licens FROM kopare") == [
        (february, "http://creativecommons.org/publicdomain/zero/1.0/")]

    again = run_openup("harvest", "--db", db, *FAST, sources)
    assert "0 nya, 0 ändrade, 2 oförändrade" in again.output
    assert site.statuses("/lev_2023-01.csv") == [200, 304]  # asked with the ETag it gave

    site.csv("/lev_2023-01.csv", 40, 3)  # republished with more rows
    changed = run_openup("harvest", "--db", db, *FAST, sources)
    assert "0 nya, 1 ändrade, 1 oförändrade" in changed.output, changed.output
    assert ledger(db, "SELECT count(*) FROM leverantorsreskontra")[0][0] == 60  # replaced, not added
    assert ledger(db, "SELECT count(*) FROM kallfiler")[0][0] == 2


def test_errors_are_reported_per_source_and_the_others_still_load(site, tmp_path):
    good = site.csv("/bra_2023-01.csv", 10)
    flaky = site.csv("/ojamn_2023-01.csv", 10, 2)
    site.failing["/ojamn_2023-01.csv"] = 1  # one 500, then the file
    broken = site.csv("/trasig_2023-01.csv", 10, 3)
    site.failing["/trasig_2023-01.csv"] = -1  # 500 every time
    slow = site.csv("/langsam_2023-01.csv", 10, 4)
    site.slow.add("/langsam_2023-01.csv")
    site.files["/sida.csv"] = (b"<!doctype html><html><body>Sidan har flyttat</body></html>", "text/html")
    sources = write_sources(
        tmp_path / "kallor.toml", {"namn": "Trasig", "filer": [broken]}, {"namn": "Långsam", "filer": [slow]},
        {"namn": "Felsida", "filer": [site.base + "/sida.csv"]}, {"namn": "Ojämn", "filer": [flaky]},
        {"namn": "Cirkel", "filer": [site.base + "/a.csv"]}, {"namn": "Bra", "filer": [good]})
    site.redirects.update({"/a.csv": "/b.csv", "/b.csv": "/a.csv"})
    db = tmp_path / "h.db"
    result = run_openup("harvest", "--db", db, *FAST, sources)
    assert result.exit_code == 1
    lines = result.output
    assert "Trasig: 0 nya" in lines and f"{broken} svarade 500 (försökte 3 gånger)" in lines
    assert site.statuses("/trasig_2023-01.csv") == [500, 500, 500]
    assert f"{slow} svarade inte i tid (försökte 3 gånger)" in lines
    assert "svarade med en HTML-sida" in lines
    assert "Ojämn: 1 nya" in lines and site.statuses("/ojamn_2023-01.csv") == [500, 200]
    assert "skickar vidare i en cirkel" in lines
    assert "Bra: 1 nya, 0 ändrade, 0 oförändrade, 0 vägrade, 0 fel" in lines
    assert ledger(db, "SELECT count(*) FROM leverantorsreskontra")[0][0] == 20


def test_a_pattern_by_month_counts_months_not_yet_published_apart(site, tmp_path):
    for month in ("2023-01", "2023-02", "2023-04"):
        site.csv(f"/arkiv/lev_{month}.csv", 10, int(month[-1]), month)
    site.forbidden.add("/arkiv/lev_2023-05.csv")  # a store answers 403 for a file it does not have
    sources = write_sources(tmp_path / "kallor.toml", {
        "namn": "Örebro", "manadsmall": site.base + "/arkiv/lev_{ar}-{manad}.csv", "fran": "2023-01", "till": "2023-05"})
    db = tmp_path / "h.db"
    result = run_openup("harvest", "--db", db, *FAST, sources)
    assert result.exit_code == 0, result.output
    assert "Örebro: 3 nya, 0 ändrade, 0 oförändrade, 2 inte publicerade än, 0 vägrade, 0 fel" in result.output
    assert ledger(db, "SELECT manad FROM kopare_manad ORDER BY manad") == [("2023-01",), ("2023-02",), ("2023-04",)]


def test_a_paged_json_api_is_loaded_as_one_file(site, tmp_path):
    objects = v11_objects(25)
    for page in range(3):
        following = f"/api/rader?sida={page + 1}" if page < 2 else None
        body = {"results": objects[page * 10:(page + 1) * 10], "next": following}
        site.files[f"/api/rader?sida={page}"] = (json.dumps(body).encode(), "application/json")
    sources = write_sources(tmp_path / "kallor.toml", {"namn": "Rowstore", "api": site.base + "/api/rader?sida=0"})
    db = tmp_path / "h.db"
    result = run_openup("harvest", "--db", db, *FAST, sources)
    assert "Rowstore: 1 nya" in result.output, result.output
    total = round(sum(float(o["nettobelopp"]) for o in objects), 2)
    assert ledger(db, "SELECT count(*), round(sum(nettobelopp), 2) FROM leverantorsreskontra") == [(25, total)]
    assert "Rowstore: 0 nya, 0 ändrade, 1 oförändrade" in run_openup("harvest", "--db", db, *FAST, sources).output


CATALOG = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{base}/katalog> a dcat:Catalog ; dcat:dataset <{base}/ds/2023>, <{base}/ds/2022>, <{base}/ds/parkering> .
<{base}/ds/2023> a dcat:Dataset ; dct:conformsTo <https://lankadedata.se/spec/leverantorsreskontra/> ;
  dcat:distribution <{base}/ds/2023/pdf>, <{base}/ds/2023/csv> .
<{base}/ds/2023/pdf> a dcat:Distribution ; dcat:downloadURL <{base}/filer/2023.pdf> ; dct:format "PDF" .
<{base}/ds/2023/csv> a dcat:Distribution ; dcat:downloadURL <{base}/filer/lev_2023-03.csv> ;
  dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> ;
  dct:license <http://creativecommons.org/publicdomain/zero/1.0/> .
<{base}/ds/2022> a dcat:Dataset ; dcat:keyword "Leverantörsreskontra"@sv ;
  dcat:distribution [ a dcat:Distribution ; dcat:accessURL <{base}/filer/lev_2022-12.csv> ],
    [ a dcat:Distribution ; dcat:downloadURL <{base}/filer/lev_2022-11.csv> ; dct:format "CSV" ] .
<{base}/ds/parkering> a dcat:Dataset ; dcat:keyword "parkering"@sv ;
  dcat:distribution [ a dcat:Distribution ; dcat:downloadURL <{base}/filer/parkering.csv> ] .
"""


def test_a_dcat_catalog_gives_its_supplier_ledger_datasets(site, tmp_path):
    site.files["/katalog.ttl"] = (CATALOG.format(base=site.base).encode(), "text/turtle")
    site.csv("/filer/lev_2023-03.csv", 12, 1, "2023-03")
    site.csv("/filer/lev_2022-12.csv", 8, 2, "2022-12")
    site.csv("/filer/lev_2022-11.csv", 6, 4, "2022-11")
    site.csv("/filer/parkering.csv", 5, 3)
    sources = write_sources(tmp_path / "kallor.toml", {"namn": "Katalog", "dcat": site.base + "/katalog.ttl",
                                                       "licens": "https://example.se/licens"})
    db = tmp_path / "h.db"
    result = run_openup("harvest", "--db", db, *FAST, sources)
    assert "Katalog: 3 nya, 0 ändrade, 0 oförändrade, 0 vägrade, 0 fel" in result.output, result.output
    assert site.statuses("/filer/parkering.csv") == [] and site.statuses("/filer/2023.pdf") == []
    assert ledger(db, "SELECT filnamn, licens FROM kallfiler ORDER BY filnamn") == [  # the catalog's licence first
        ("lev_2022-11.csv", "https://example.se/licens"), ("lev_2022-12.csv", "https://example.se/licens"),
        ("lev_2023-03.csv", "http://creativecommons.org/publicdomain/zero/1.0/")]


RDF_XML = """<?xml version="1.0" encoding="iso-8859-1"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#">
  <dcat:Dataset rdf:about="{base}/ds/1">
    <dcat:keyword xml:lang="sv">Leverantörsreskontra</dcat:keyword>
    <dcat:distribution><dcat:Distribution rdf:about="{base}/ds/1/csv">
      <dcat:downloadURL rdf:resource="{base}/filer/lev_2023-01.csv"/></dcat:Distribution></dcat:distribution>
  </dcat:Dataset>
</rdf:RDF>"""
TURTLE_AS_TEXT = """# En katalog utan prefix i början
PREFIX dcat: <http://www.w3.org/ns/dcat#>
<{base}/ds/1> a dcat:Dataset ; dcat:keyword "leverantörsreskontra" ;
  dcat:distribution [ dcat:downloadURL <{base}/filer/lev_2023-01.csv> ] .
"""


@pytest.mark.parametrize("catalog, body, content_type", [
    ("/katalog.rdf", RDF_XML, "application/rdf+xml"), ("/katalog", TURTLE_AS_TEXT, "text/plain")])
def test_catalogs_are_read_in_their_own_syntax_and_encoding(site, tmp_path, catalog, body, content_type):
    encoding = "iso-8859-1" if "iso-8859-1" in body else "utf-8"
    site.files[catalog] = (body.format(base=site.base).encode(encoding), content_type)
    site.csv("/filer/lev_2023-01.csv", 7)
    sources = write_sources(tmp_path / "kallor.toml", {"namn": "K", "dcat": site.base + catalog})
    result = run_openup("harvest", "--db", tmp_path / "h.db", *FAST, sources)
    assert "K: 1 nya, 0 ändrade, 0 oförändrade, 0 vägrade, 0 fel" in result.output, result.output


def test_a_catalog_without_supplier_ledgers_is_an_error_not_silence(site, tmp_path):
    site.files["/tom.ttl"] = (b"@prefix dcat: <http://www.w3.org/ns/dcat#> . <x> a dcat:Catalog .", "text/turtle")
    sources = write_sources(tmp_path / "kallor.toml", {"namn": "Tom", "dcat": site.base + "/tom.ttl"})
    result = run_openup("harvest", "--db", tmp_path / "h.db", *FAST, sources)
    assert result.exit_code == 1 and "katalogen har ingen datamängd för leverantörsreskontra" in result.output


def test_a_served_instance_is_harvested_through_its_own_catalog(sample_db, tmp_path):
    """Another Open Up instance as the publisher: its DCAT catalog (made for dataportal.se) names a
    CSV per buyer and year, and the harvested ledger has the same totals per buyer and year."""
    per_buyer_year = ("SELECT kopare_id, substr(bokforingsdatum, 1, 4), datum_precision, count(*), "
                      "round(sum(nettobelopp), 2) FROM leverantorsreskontra GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
    with serving(sample_db) as base:
        sources = write_sources(tmp_path / "kallor.toml", {"namn": "Open Up", "dcat": base + "/datasets/dcat.ttl"})
        result = run_openup("harvest", "--db", tmp_path / "kopia.db", "--timeout", "60", sources)
    assert result.exit_code == 0, result.output
    assert ledger(tmp_path / "kopia.db", per_buyer_year) == ledger(sample_db, per_buyer_year)


@pytest.mark.parametrize("entry, said", [
    ({"namn": "X", "manadsmall": "https://x/lev.csv", "fran": "2023-01"}, "manadsmall ska innehålla {ar} och {manad}"),
    ({"namn": "X", "filer": "https://x/lev.csv"}, "filer ska vara en lista av URL:er"),
    ({"namn": "X", "api": "https://x/api", "fran": 2023}, "fran ska vara en sträng"),
])
def test_a_sources_file_with_a_mistake_is_a_usage_error(tmp_path, entry, said):
    sources = write_sources(tmp_path / "kallor.toml", entry)
    result = run_openup("harvest", "--db", tmp_path / "h.db", sources)
    assert result.exit_code == 2 and said in result.output
    assert not (tmp_path / "h.db").exists()


def test_the_documented_example_sources_file_reads():
    from openup.harvest import read_sources

    example = Path(__file__).parent.parent / "docs" / "kallor.exempel.toml"
    publishers = read_sources(example)
    assert {p.name for p in publishers} >= {"Göteborgs Stad", "Västerås stad", "Västra Götalandsregionen"}
    assert all(p.files or p.monthly or p.api or p.catalog for p in publishers)
