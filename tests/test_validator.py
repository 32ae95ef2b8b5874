"""/validera: uploads checked through a real Datasette app, and hostile uploads refused."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import tempfile
import zipfile

import pytest
from datasette.app import Datasette
from openup.columns import PUBLISHED_COLUMNS, SPEC_COLUMNS
from openup.identifiers import mask_personal_numbers
from openup_plugins import validator as validator_plugin
from openup_plugins.instance import SETTINGS, TEMPLATES, instance_metadata

from .conftest import run_openup
from .files import write_v11

GOTEBORG = "goteborg_2023-03.csv"


def validator(database, **limits) -> Datasette:
    metadata = instance_metadata([database.stem])
    metadata.setdefault("plugins", {})["openup-validera"] = limits
    return Datasette(immutables=[str(database)], metadata=metadata, template_dir=str(TEMPLATES), settings=SETTINGS)


@pytest.fixture
def no_leftovers(tmp_path, monkeypatch):
    """Uploads go to a temporary folder of the test's own, which must be empty after."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert list(folder.iterdir()) == []


async def post(instance, path: str, name: str, content: bytes, **kwargs):
    return await instance.client.post(path, files={"fil": (name, content)}, **kwargs)


async def test_upload_gives_openup_validates_report(sample_db, sample_dir, no_leftovers):
    path = sample_dir / GOTEBORG
    response = await post(validator(sample_db), "/validera.json", GOTEBORG, path.read_bytes())
    assert response.status_code == 200
    report = response.json()
    (expected,) = json.loads(run_openup("validate", "--json", path).output)
    assert report.pop("ok") is True
    assert report == {**expected, "fil": GOTEBORG}  # the same report, naming the file alone
    assert report["rader_som_skulle_avvisas"] == 1 and report["rader_som_skulle_maskeras"] > 0
    assert report["manader"] == [{"manad": "2023-03", "rader": report["rader_som_skulle_lasas_in"]}]
    present = {c["kolumn"]: c["filens_kolumn"] for c in report["specifikationens_kolumner"]}
    assert present["nettobelopp"] == "Belopp (kr exkl moms)" and present["fakturanummer"] is None
    assert any("fakturanummer" in advice for advice in report["rekommendationer"])


async def test_a_script_may_send_the_file_as_the_body(sample_db, sample_dir, no_leftovers):
    content = (sample_dir / "vasteras_leverantorsreskontra_2023-06.json").read_bytes()
    response = await validator(sample_db).client.post("/validera.json?filnamn=../../etc/vasteras.json",
                                                      content=content)
    report = response.json()
    assert response.status_code == 200 and report["format"] == "json"
    assert report["fil"] == "vasteras.json"  # never a path


async def test_converted_file_has_the_rows_that_load_masked(sample_db, sample_dir, query, no_leftovers):
    path = sample_dir / GOTEBORG
    instance = validator(sample_db)
    response = await post(instance, "/validera.csv", GOTEBORG, path.read_bytes())
    assert response.status_code == 200
    assert "goteborg_2023-03_nationell_specifikation.csv" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert tuple(rows[0]) == PUBLISHED_COLUMNS
    assert {r[-1] for r in rows[1:]} == {"manad"}  # Göteborg's file gives the month alone
    loaded = query("SELECT rader_inlasta, summa FROM kallfiler WHERE filnamn = ?", [GOTEBORG])[0]
    assert len(rows) - 1 == loaded["rader_inlasta"]
    amount = SPEC_COLUMNS.index("nettobelopp")
    assert round(sum(float(r[amount]) for r in rows[1:]), 2) == round(loaded["summa"], 2)
    assert mask_personal_numbers(response.text)[1] == 0  # nothing left to mask
    assert "Enskild näringsidkare" in response.text  # the sole traders, under their label


async def test_a_refused_file_is_reported_as_refused(sample_db, tmp_path, no_leftovers):
    page = "<!doctype html><html><body>Sidan finns inte</body></html>".encode()
    report = (await post(validator(sample_db), "/validera.json", "reskontra.csv", page)).json()
    assert report["godtagbar"] is False
    assert "HTML-sida" in report["vagran"] and "tmp" not in report["vagran"]


async def test_too_large_is_refused_before_it_is_read(sample_db, tmp_path, no_leftovers):
    instance = validator(sample_db, max_bytes=10_000)
    big = write_v11(tmp_path / "stor.csv", count=400).read_bytes()
    assert len(big) > 10_000
    response = await post(instance, "/validera.json", "stor.csv", big)
    assert response.status_code == 413 and "större än gränsen" in response.json()["error"]

    async def chunks():  # no Content-Length: refused as the body passes the limit
        for start in range(0, len(big), 4096):
            yield big[start:start + 4096]
    streamed = await instance.client.post("/validera.json?filnamn=stor.csv", content=chunks())
    assert streamed.status_code == 413
    page = await post(instance, "/validera", "stor.csv", big)
    assert page.status_code == 413 and "större än gränsen" in page.text and "<form" in page.text


def zip_bomb(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 60_000_000)
    return path


def declared_cells_bomb(path):
    """A valid workbook whose sheet declares 17 billion cells in a few hundred bytes."""
    import openpyxl
    book = openpyxl.Workbook()
    book.active.append(["kopare_id", "leverantor", "nettobelopp"])
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = re.sub(r'<dimension ref="[^"]+"', '<dimension ref="A1:XFD1048576"',
                                               sheet).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return path


@pytest.mark.parametrize("bomb, said", [(zip_bomb, "zip-bomb"), (declared_cells_bomb, "fler celler")])
async def test_xlsx_bombs_are_refused_unopened(sample_db, tmp_path, no_leftovers, bomb, said):
    path = bomb(tmp_path / "bomb.xlsx")
    report = (await post(validator(sample_db), "/validera.json", "bomb.xlsx", path.read_bytes())).json()
    assert report["godtagbar"] is False and said in report["vagran"]
    result = run_openup("validate", path)  # the loader's own reading refuses it alike
    assert result.exit_code == 1 and said in result.output


async def test_a_file_over_the_time_limit_is_stopped(sample_db, sample_dir, no_leftovers):
    instance = validator(sample_db, seconds=0.05)
    response = await post(instance, "/validera.json", GOTEBORG, (sample_dir / GOTEBORG).read_bytes())
    assert response.status_code == 400 and "längre tid än" in response.json()["error"]


async def test_files_checked_at_once_are_limited_but_not_uploads(sample_db, sample_dir, no_leftovers):
    instance = validator(sample_db, at_once=1)
    content = (sample_dir / GOTEBORG).read_bytes()
    sent = asyncio.Event()

    async def slow_body():
        yield content[:100]
        await sent.wait()
        yield content[100:]

    slow = asyncio.create_task(instance.client.post("/validera.json?filnamn=a.csv", content=slow_body()))
    await asyncio.sleep(0.2)  # a slow upload holds no slot: another file is checked meanwhile
    assert (await post(instance, "/validera.json", GOTEBORG, content)).status_code == 200
    sent.set()
    while not validator_plugin.SLOTS.busy:  # until the slow upload is being checked
        await asyncio.sleep(0.01)
    second = await post(instance, "/validera.json", GOTEBORG, content)
    assert second.status_code == 429 and second.headers["retry-after"]
    assert (await slow).status_code == 200
    assert (await post(instance, "/validera.json", GOTEBORG, content)).status_code == 200  # a slot again


async def test_the_endpoints_say_how_to_use_them(sample_db):
    instance = validator(sample_db)
    page = await instance.client.get("/validera")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert "Ingenting sparas" in page.text
    front = await instance.client.get("/")
    assert 'href="/validera"' in front.text  # where a publisher finds it
    wrong = await instance.client.get("/validera.json")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
    empty = await instance.client.post("/validera.json", files={"annat": ("x.csv", b"a;b\n")})
    assert empty.status_code == 400 and "fil" in empty.json()["error"]


@pytest.mark.parametrize("name", ['x"; filename*=UTF-8\'\'faktura.html; a=".csv', "konverterad.csv", "--help",
                                  "-p.csv", "ö" * 150 + ".csv", "Leverantörsreskontra mars.csv"])
async def test_any_file_name_is_only_a_name(sample_db, sample_dir, name, no_leftovers):
    content = (sample_dir / "stockholm_openup_2023.csv").read_bytes()
    instance = validator(sample_db)
    report = await post(instance, "/validera.json", name, content)
    assert report.status_code == 200 and report.json()["godtagbar"], report.text
    converted = await post(instance, "/validera.csv", name, content)
    assert converted.status_code == 200 and len(converted.text.splitlines()) > 100
    disposition = converted.headers["content-disposition"]
    assert disposition.count(";") == 2 and disposition.count('"') == 2, disposition  # nothing ends the value
    assert disposition.endswith("_nationell_specifikation.csv") and "filename*=UTF-8''" in disposition


async def test_a_workbook_is_read_whatever_its_name_ends_in(sample_db, sample_dir, no_leftovers):
    content = (sample_dir / "orebro_leverantorer_2023-05.xlsx").read_bytes()
    report = (await validator(sample_db).client.post("/validera.json?filnamn=lev_2023-05", content=content)).json()
    assert report["format"] == "xlsx" and report["godtagbar"], report


async def test_a_refused_file_is_not_converted_the_page_says_why(sample_db, no_leftovers):
    response = await post(validator(sample_db), "/validera.csv", "tom.csv", b"")
    assert response.status_code == 422 and "text/html" in response.headers["content-type"]
    assert "Filen skulle vägras" in response.text and "filen är tom" in response.text
    assert "Inga rekommendationer" not in response.text


@pytest.mark.parametrize("limit, status", [(40 * 2**20, 3), (2 * 2**30, 0)])
def test_the_child_ends_itself_past_its_resident_memory(tmp_path, limit, status):
    """The bound is on resident memory: Polars reserves gigabytes of address space it never uses."""
    import os
    import subprocess
    import sys

    path = write_v11(tmp_path / "fil.csv", count=200)
    child = subprocess.run([sys.executable, "-m", "openup", "validate", "--json", "--", path.name], cwd=tmp_path,
                           env={**os.environ, "OPENUP_MAX_MEMORY_BYTES": str(limit)}, capture_output=True)
    assert child.returncode == status, child.stderr
