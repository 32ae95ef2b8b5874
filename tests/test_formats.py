"""Small hand-shaped exports: the format variations of formats.md, one at a time."""

from __future__ import annotations

import json
import sqlite3

import pytest

from .conftest import run_openup
from .files import BUYER, v11_lines, v11_objects


def rows(db, sql="SELECT * FROM leverantorsreskontra ORDER BY id"):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return conn.execute(sql).fetchall()


def test_json_list_of_objects(tmp_path):
    objects = v11_objects(4)
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps(objects, ensure_ascii=False), "utf-8")
    assert run_openup("load", "--db", tmp_path / "j.db", path).exit_code == 0
    assert len(rows(tmp_path / "j.db")) == 4
    assert rows(tmp_path / "j.db", "SELECT profil, format FROM kallfiler")[0][:] == ("nationell-1.1", "json")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "cp1252"])
def test_json_in_every_detected_encoding(tmp_path, encoding):
    objects = v11_objects(700)  # more than one read of the streaming parser
    objects[1]["leverantor"] = "Städ & Fönsterputs Åbo AB"
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps({"next": None, "results": objects}, ensure_ascii=False), encoding)
    assert run_openup("load", "--db", tmp_path / "j.db", path).exit_code == 0
    loaded = rows(tmp_path / "j.db")
    assert len(loaded) == 700 and loaded[1]["leverantor"] == "Städ & Fönsterputs Åbo AB"
    assert [r["kallrad"] for r in loaded[:3]] == [1, 2, 3]


def test_tabs_bare_cr_and_quoted_semicolons(tmp_path):
    lines = [line.replace(";", "\t") for line in v11_lines(3)]
    lines[1] = lines[1].replace("Leverantör 0 AB", '"Bygg; Mark AB"')
    path = tmp_path / "tabs_2023-01.csv"
    path.write_bytes("\r".join(lines).encode("utf-8"))
    assert run_openup("load", "--db", tmp_path / "t.db", path).exit_code == 0
    loaded = rows(tmp_path / "t.db")
    assert [r["kallrad"] for r in loaded] == [2, 3, 4]
    assert loaded[0]["leverantor"] == "Bygg; Mark AB"


def test_utf16_with_bom_and_comma_delimiter(tmp_path):
    lines = [line.replace(";", ",") for line in v11_lines(3)]
    lines[1] = lines[1].replace("Konsulttjänster", "Städ och fönsterputs")
    path = tmp_path / "utf16.csv"
    path.write_bytes("\r\n".join(lines).encode("utf-16"))
    assert run_openup("load", "--db", tmp_path / "u.db", path).exit_code == 0
    assert rows(tmp_path / "u.db")[0]["konto_text"] == "Städ och fönsterputs"
    assert rows(tmp_path / "u.db", "SELECT teckenkodning FROM kallfiler")[0][0] == "utf-16"


def test_swedish_thousands_and_excel_serial_dates(tmp_path):
    header = "kopare_id;kopare;verifikationsnummer;leverantor;bokforingsdatum;nettobelopp"
    path = tmp_path / "serials.csv"
    path.write_text("\n".join([header, f"{BUYER[0]};{BUYER[1]};1;A AB;43891;1.234,56",
                                f"{BUYER[0]};{BUYER[1]};2;B AB;45000;\u22121 000,50"]), "utf-8")
    assert run_openup("load", "--db", tmp_path / "s.db", path).exit_code == 0
    loaded = rows(tmp_path / "s.db")
    assert [(r["bokforingsdatum"], r["nettobelopp"]) for r in loaded] == [
        ("2020-03-01", 1234.56), ("2023-03-15", -1000.5)]


def test_buyer_and_period_from_the_command_line(tmp_path):
    path = tmp_path / "leverantorer.csv"  # no month in the name, no date or buyer columns
    path.write_text("Förvaltning;Leverantör;Organisationsnummer;Belopp kr\nKultur;A AB;;100,00\n")
    refused = run_openup("load", "--db", tmp_path / "p.db", path)
    assert refused.exit_code == 1 and "--period" in refused.output
    loaded = run_openup("load", "--db", tmp_path / "p.db", "--period", "2021-07",
                        "--buyer", "2120000142", "--buyer-name", "Stockholms stad", path)
    assert loaded.exit_code == 0, loaded.output
    row = rows(tmp_path / "p.db")[0]
    assert (row["kopare_id"], row["kopare"], row["bokforingsdatum"], row["datum_precision"]) == (
        "212000-0142", "Stockholms stad", "2021-07-01", "manad")
    bad = run_openup("load", "--db", tmp_path / "p.db", "--buyer", "123", path)
    assert bad.exit_code == 2 and "organisationsnummer" in bad.output


def test_forced_profile_names_the_buyer_of_a_file_that_does_not(tmp_path):
    path = tmp_path / "utbetalningar_2021-07.csv"
    path.write_text("Leverantör;Organisationsnummer;Belopp\nA AB;556036-0793;100,00\n")
    assert run_openup("load", "--db", tmp_path / "f.db", path).exit_code == 1  # whose payments?
    result = run_openup("load", "--db", tmp_path / "f.db", "--profile", "goteborg", path)
    assert result.exit_code == 0, result.output
    assert tuple(rows(tmp_path / "f.db", "SELECT kopare_id, kopare FROM leverantorsreskontra")[0]) == (
        "212000-1355", "Göteborgs Stad")
    assert rows(tmp_path / "f.db", "SELECT profil FROM kallfiler")[0][0] == "goteborg"


def test_source_and_licence_are_kept_per_file_and_buyer(tmp_path):
    from .files import write_v11

    db = tmp_path / "l.db"
    cc_by = "http://creativecommons.org/licenses/by/4.0/"
    result = run_openup("load", "--db", db, "--source", "https://goteborg.se/oppna-data",
                        "--license", cc_by, write_v11(tmp_path / "a_2023-01.csv", 5))
    assert result.exit_code == 0, result.output
    assert tuple(rows(db, "SELECT kalla, licens FROM kallfiler")[0]) == ("https://goteborg.se/oppna-data", cc_by)
    assert tuple(rows(db, "SELECT kalla, licens FROM kopare")[0]) == ("https://goteborg.se/oppna-data", cc_by)
    assert run_openup("load", "--db", db, "--license", "CC0", write_v11(tmp_path / "b.csv")).exit_code == 2


@pytest.mark.parametrize("size", [1, 3, 500])
def test_records_read_in_batches_keep_their_lines_across_line_breaks_in_fields(tmp_path, size):
    """Batches count each record's first line from the line breaks inside the fields before it,
    as the file's lines are split (\\r\\n, \\r or \\n), whatever the batch size."""
    from openup.sources import open_source

    header, *lines = v11_lines(8)
    lines[1] = lines[1].replace("Stadsledning", '"Stads\r\nledning"')
    lines[3] = lines[3].replace("Konsulttjänster", '"Konsult\ntjänster\rmed mera"')
    lines[5] = lines[5].replace(";1480;", ";x;")  # a line with a bad value after the breaks
    path = tmp_path / "radbrytningar_2023-01.csv"
    path.write_bytes(("\r\n".join([header, *lines, "", ";;;"]) + "\r\n").encode())
    (candidate,) = [c for c in open_source(path).candidates if c.label == ";"]
    by_row = [(location, fields) for location, fields in candidate.rows()]
    by_batch = [(location, fields) for locations, records in candidate.batches(size)
                for location, fields in zip(locations, records)]
    assert by_batch == by_row
    assert [location for location, _ in by_row][:6] == [1, 2, 3, 5, 6, 9]
