"""Bad input: a clear message naming file, line and column, the right exit code, and a
database left exactly as it was."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from openup.rawframes import from_records

from .conftest import dump, run_openup
from .files import v11_lines, v11_objects, write_v11


@pytest.fixture
def database(tmp_path) -> Path:
    db = tmp_path / "before.db"
    assert run_openup("load", "--db", db, write_v11(tmp_path / "good_2023-01.csv")).exit_code == 0
    return db


def truncated_xlsx(path: Path) -> None:
    book = Workbook()
    book.active.append(["kopare_id", "leverantor"])
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])


BAD_FILES = {
    "empty.csv": (lambda p: p.write_bytes(b""), "filen är tom"),
    "header_only.csv": (lambda p: p.write_text(v11_lines(0)[0] + "\n"), "inga datarader"),
    "garbage.csv": (lambda p: p.write_bytes(bytes(random_bytes(4096))), "binär"),
    "error_page.csv": (lambda p: p.write_text("<!DOCTYPE html><html><body>502 Bad Gateway"
                                              "</body></html>"), "HTML-sida"),
    "catalog.csv": (lambda p: p.write_text('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.'
                                           'w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF>'), "XML/RDF"),
    "truncated.xlsx": (truncated_xlsx, "trasig eller trunkerad xlsx"),
    "archive.zip": (lambda p: zipfile.ZipFile(p, "w").writestr("a.txt", "a"), "ett zip-arkiv men ingen xlsx-fil"),
    "pipes.csv": (lambda p: p.write_text("\n".join(l.replace(";", "|") for l in v11_lines(5))),
                  "fel avgränsare"),
    "unterminated.csv": (lambda p: p.write_text("\n".join(v11_lines(5)[:3] + [
        v11_lines(5)[3].replace("Konsulttjänster", '"Konsulttjänster')] + v11_lines(5)[4:])),
        "rad 4: felaktig citering"),
    "short_rows.csv": (lambda p: p.write_text("\n".join(
        [v11_lines(20)[0]] + [l.rsplit(";", 3)[0] for l in v11_lines(20)[1:]])),
        "fel antal fält: väntade 15, fick 12"),
    "broken_amounts.csv": (lambda p: p.write_text("\n".join(
        [v11_lines(20)[0]] + [l.replace(l.split(";")[10], "12,34,56") for l in v11_lines(20)[1:]])),
        "kolumn nettobelopp: ogiltigt belopp '12,34,56'"),
    "impossible_dates.csv": (lambda p: p.write_text("\n".join(
        [v11_lines(20)[0]] + [l.replace(l.split(";")[7], "2023-02-30") for l in v11_lines(20)[1:]])),
        "kolumn bokforingsdatum: ogiltigt datum '2023-02-30'"),
    "unknown_header.csv": (lambda p: p.write_text("Datum;Mottagare;Summa\n2023-01-01;X;1\n"),
                           "Kolumner som inte kunde mappas: Mottagare, Summa"),
    "broken.json": (lambda p: p.write_text(json_objects(third=lambda o: o.replace('": ', '" ', 1))),
                    "objekt 3: ogiltig JSON: parse error"),
    "truncated.json": (lambda p: p.write_text(json_objects()[:-30]), "ogiltig JSON"),
    "scalars.json": (lambda p: p.write_text("[1, 2, 3]"), "objekt 1: väntade ett objekt"),
    "no_results.json": (lambda p: p.write_text('{"next": null, "data": []}'),
                        'väntade en lista av objekt eller {"results": [...]}'),
}


def json_objects(third=lambda text: text) -> str:
    """Five v11 rows as a JSON list; third rewrites the third object's text."""
    objects = [json.dumps(o, ensure_ascii=False) for o in v11_objects(5)]
    objects[2] = third(objects[2])
    return "[" + ", ".join(objects) + "]"


def random_bytes(count: int) -> bytes:
    return os.urandom(count // 2) + b"\x00" + os.urandom(count // 2)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_refused_and_database_unchanged(name, database, tmp_path):
    write, message = BAD_FILES[name]
    path = tmp_path / name
    write(path)
    before = dump(database)
    result = run_openup("load", "--db", database, path)
    assert result.exit_code == 1, result.output
    assert str(path) in result.output
    assert message in result.output
    assert dump(database) == before


def test_lines_too_long_or_short_are_rejected_individually(database, tmp_path):
    lines = v11_lines(60)
    lines[10] = lines[10].rsplit(";", 2)[0]  # two fields short
    lines[20] += ";extra"  # one field too many
    path = tmp_path / "two_bad_lines.csv"
    path.write_text("\n".join(lines))
    result = run_openup("load", "--db", database, path)
    assert result.exit_code == 0, result.output
    assert "avvisade 2" in result.output
    report = run_openup("validate", "--json", path)
    reasons = [e["orsak"] for e in json.loads(report.output)[0]["exempel"]]
    assert reasons == ["fel antal fält: väntade 15, fick 13", "fel antal fält: väntade 15, fick 16"]


def test_a_quote_that_never_ends_is_refused_at_once_on_its_line(database, tmp_path, monkeypatch):
    """Even when the rest of a large file follows it (the csv module's field limit stops it)."""
    from openup import rawframes
    monkeypatch.setattr(rawframes, "READ_BYTES", 64 * 1024)
    lines = v11_lines(40_000)
    lines[6] = lines[6].replace("Leverantör", '"Leverantör', 1)
    path = tmp_path / "citat_2023-01.csv"
    path.write_text("\n".join(lines) + "\n")
    before = dump(database)
    started = time.perf_counter()
    result = run_openup("load", "--db", database, path)
    assert time.perf_counter() - started < 20
    assert result.exit_code == 1 and "rad 7" in result.output and "felaktig citering" in result.output, result.output
    assert dump(database) == before


def test_a_bad_character_late_in_a_file_is_refused_without_reading_it_record_by_record(database, tmp_path,
                                                                                       monkeypatch):
    """The records before it are read again to find its line, as one batch (a batch per record
    took a minute to refuse 4,500 lines)."""
    from openup import sources
    batches = []
    monkeypatch.setattr(sources, "from_records", lambda *args: batches.append(args) or from_records(*args))
    path = tmp_path / "utf16_2023-01.csv"
    path.write_bytes("\r\n".join(v11_lines(3_000)).encode("utf-16") + b"\r\x00\n\x00X")  # half a character
    before = dump(database)
    result = run_openup("load", "--db", database, path)
    assert result.exit_code == 1 and "rad 3002" in result.output and "utf-16" in result.output, result.output
    assert len(batches) == 1 and len(batches[0][1]) == 3_000
    assert dump(database) == before


def test_a_quoted_trailing_field_is_a_field(database, tmp_path):
    """A sixteenth field holding only a delimiter, quoted, is not an empty trailing column."""
    lines = v11_lines(60)
    lines[5] += ';";"'
    lines[6] += ";;"  # two empty trailing columns: no error
    path = tmp_path / "extra_2023-01.csv"
    path.write_text("\n".join(lines) + "\n")
    report = json.loads(run_openup("validate", "--json", path).output)[0]
    assert [(e["rad"], e["orsak"]) for e in report["exempel"]] == [(6, "fel antal fält: väntade 15, fick 16")]


def test_an_absurd_amount_is_a_rejected_line_not_a_crash(database, tmp_path):
    lines = v11_lines(60)
    fields = lines[3].split(";")
    fields[10] = "1" * 30
    lines[3] = ";".join(fields)
    path = tmp_path / "stort_2023-01.csv"
    path.write_text("\n".join(lines) + "\n")
    report = json.loads(run_openup("validate", "--json", path).output)[0]
    assert [(e["rad"], e["kolumn"]) for e in report["exempel"]] == [(4, "nettobelopp")]
    assert "orimligt belopp" in report["exempel"][0]["orsak"]


def test_unknown_header_names_the_closest_profiles(tmp_path):
    path = tmp_path / "almost_v11.csv"
    path.write_text(v11_lines(3)[0].replace("nettobelopp", "utbetalt") + "\n"
                    + "\n".join(v11_lines(3)[1:]))
    result = run_openup("load", "--db", tmp_path / "x.db", path)
    assert result.exit_code == 1
    assert "utbetalt" in result.output
    assert "Närmaste profiler: nationell-1.1" in result.output
    assert not (tmp_path / "x.db").exists()  # a database that did not exist is not left behind


def test_missing_file_is_a_usage_error(database, tmp_path):
    before = dump(database)
    result = run_openup("load", "--db", database, tmp_path / "nowhere.csv")
    assert result.exit_code == 2
    assert "nowhere.csv" in result.output and "does not exist" in result.output
    assert dump(database) == before


def test_database_that_cannot_be_written_is_a_usage_error(tmp_path):
    good = write_v11(tmp_path / "good_2023-01.csv")
    result = run_openup("load", "--db", tmp_path / "no" / "such" / "dir.db", good)
    assert result.exit_code == 2
    assert "kan inte skriva databasen" in result.output
    a_file = tmp_path / "plain.txt"
    a_file.write_text("not a folder")
    for unwritable in (a_file / "x.db", tmp_path):  # below a file; a folder
        result = run_openup("load", "--db", unwritable, good)
        assert result.exit_code == 2, unwritable
        assert "--db" in result.output


def test_unknown_profile_is_a_usage_error(tmp_path):
    result = run_openup("load", "--db", tmp_path / "x.db", "--profile", "nope",
                        write_v11(tmp_path / "a_2023-01.csv"))
    assert result.exit_code == 2
    assert "okänd profil 'nope'" in result.output


def test_xlsx_that_is_no_zip(tmp_path, database):
    path = tmp_path / "fake.xlsx"
    path.write_text("kopare_id;kopare\n")
    before = dump(database)
    result = run_openup("load", "--db", database, path)
    assert result.exit_code == 1 and "xlsx" in result.output
    assert dump(database) == before
    assert zipfile.is_zipfile(path) is False


def test_a_database_of_another_schema_version_is_refused_by_load_and_serve(database, tmp_path):
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE databasinfo SET varde = '1' WHERE nyckel = 'schemaversion'")
    before = dump(database)
    result = run_openup("load", "--db", database, write_v11(tmp_path / "more_2023-02.csv"))
    assert result.exit_code == 2
    assert "schemaversion 1" in result.output and "bygg om databasen" in result.output
    assert dump(database) == before
    served = run_openup("serve", database)  # refused before any server starts
    assert served.exit_code == 2 and "schemaversion 1" in served.output
