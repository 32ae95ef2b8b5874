"""`openup validate` (no database) and `openup sample` (deterministic synthetic exports)."""

from __future__ import annotations

import json
import time

from openup.sample import write_samples
from openup.schemadoc import render_schema_markdown

from .conftest import run_openup
from .files import v11_lines


def test_validate_reports_what_a_load_would_do(sample_dir, query):
    path = sample_dir / "goteborg_2023-03.csv"
    result = run_openup("validate", "--json", path)
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)
    loaded = query("SELECT * FROM kallfiler WHERE filnamn = ?", [path.name])[0]
    assert report["profil"] == "goteborg"
    assert report["rader_lasta"] == loaded["rader_lasta"]
    assert report["rader_som_skulle_avvisas"] == loaded["rader_avvisade"] == 1
    assert report["rader_som_skulle_maskeras"] == loaded["rader_maskerade"]
    assert report["period"] == "2023-03"
    assert report["saknade_obligatoriska_kolumner"] == []  # buyer and month come from elsewhere
    assert report["kolumner"]["nettobelopp"] == "Belopp (kr exkl moms)"
    assert report["avvisningsorsaker"][0]["kolumn"] == "nettobelopp"


def test_validate_text_report_and_refusal(tmp_path):
    path = tmp_path / "bad_2023-01.csv"
    path.write_text("\n".join([v11_lines(10)[0]] + [l.replace("2023-01-", "2023-13-")
                                                     for l in v11_lines(10)[1:]]))
    result = run_openup("validate", path)
    assert result.exit_code == 1
    assert "VÄGRAS" in result.output
    assert "avvisas 10 gånger: bokforingsdatum: ogiltigt datum '…'" in result.output
    assert "profil nationell-1.1" in result.output


def test_validate_lists_missing_mandatory_columns(tmp_path):
    path = tmp_path / "thin.csv"
    path.write_text("kopare_id;verifikationsnummer;leverantor;bokforingsdatum;nettobelopp\n"
                    "212000-1355;1;Leverantör AB;2023-01-02;10.00\n")
    (report,) = json.loads(run_openup("validate", "--json", path).output)
    assert report["saknade_obligatoriska_kolumner"] == [
        "kopare", "leverantor_id", "konto_nr", "konto_text", "forvaltning"]


def test_sample_is_deterministic_for_a_seed(tmp_path):
    first = write_samples(tmp_path / "a", rows=500, seed=9)
    time.sleep(1.1)  # a second later: nothing may depend on the clock
    second = write_samples(tmp_path / "b", rows=500, seed=9)
    other = write_samples(tmp_path / "c", rows=500, seed=10)
    assert [p.name for p in first] == [p.name for p in second]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(first, second))
    assert any(a.read_bytes() != c.read_bytes() for a, c in zip(first, other))


def test_sample_command_writes_files(tmp_path):
    result = run_openup("sample", tmp_path / "out", "--rows", "300", "--seed", "2")
    assert result.exit_code == 0
    assert len(list((tmp_path / "out").iterdir())) == len(result.output.split())


def test_schema_document_is_up_to_date():
    from pathlib import Path

    document = Path(__file__).parent.parent / "docs" / "schema.md"
    assert document.read_text("utf-8") == render_schema_markdown(), \
        "docs/schema.md is stale: run `make schema-doc`"
