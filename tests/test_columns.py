"""Every column a file has is read: columns recognised one by one, currencies never mixed."""

import json
import sqlite3
from decimal import Decimal

import pytest
from openup.columns import alias_table, fold, map_columns, parse_alias_table
from openup.profiles import builtin_profiles

from .conftest import run_openup
from .files import AGENCY_HEADER, V11_NAMES, agency_rows, write_agency_file

# Umeå kommun's number with its check digit broken (the register's is 212000-2627).
BAD_CHECK_DIGIT = ("212000-2628", "Umeå kommun")


def _rows(db, sql: str, params=()) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return conn.execute(sql, params).fetchall()


def _sek_sum(rows: list[list[str]]) -> Decimal:
    at, currency = AGENCY_HEADER.index("belopp"), AGENCY_HEADER.index("valuta")
    return sum(Decimal(r[at].replace(",", ".")) for r in rows if r[currency] == "SEK")


@pytest.fixture
def agency_file(tmp_path, register):
    rows = agency_rows(("202100-6255", "Statens testverk"))
    rows[4][-2:] = BAD_CHECK_DIGIT
    return write_agency_file(tmp_path / "leverantorsfakturor_2024_q1.csv", AGENCY_HEADER, rows), rows


def test_agency_file_loads_without_buyer_and_its_sum_is_of_kronor_only(tmp_path, agency_file):
    path, rows = agency_file
    db = tmp_path / "a.db"
    result = run_openup("load", "--db", db, path)
    assert result.exit_code == 0, result.output
    loaded = _rows(db, "SELECT * FROM leverantorsreskontra")
    assert Decimal(str(round(sum(r["nettobelopp"] for r in loaded), 2))) == _sek_sum(rows)
    in_kronor = sum(r[6] == "SEK" for r in rows)
    assert len(loaded) == in_kronor
    assert {r["kopare_id"] for r in loaded} == {"202100-6255", "212000-2627"}
    assert {r["faktura_typ"] for r in loaded} == {"NORMAL", "CREDIT"}
    file = _rows(db, "SELECT * FROM kallfiler")[0]
    data_lines = len(path.read_text("utf-8-sig").splitlines()) - 1
    assert (file["rader_lasta"], file["rader_tomma"]) == (data_lines, 3)
    assert file["rader_lasta"] == file["rader_inlasta"] + file["rader_avvisade"] + file["rader_tomma"]
    assert file["rader_avvisade"] == len(rows) - in_kronor
    reasons = {r["orsak"] for r in _rows(db, "SELECT orsak FROM avvisade_rader WHERE kolumn = 'valuta'")}
    assert reasons == {f"beloppet är i {c}, inte i kronor: räknas inte in i några summor" for c in ("EUR", "USD")}
    assert json.loads(file["korrigeringar"]) == [{"kopare_id": "212000-2628", "kopare": "Umeå kommun",
                                                   "rader": 1, "registrets_kopare_id": "212000-2627"}]
    assert "tomma 3" in result.output and "212000-2628" in result.output
    assert "registrets 212000-2627" in result.output


def test_validate_reports_currencies_credit_notes_and_the_buyer_number(agency_file):
    path, rows = agency_file
    result = run_openup("validate", "--json", path)
    report = json.loads(result.output)[0]
    assert report["godtagbar"] is True
    currencies = {c["valuta"]: c for c in report["valutor"]}
    assert set(currencies) == {"SEK", "EUR", "USD"}
    assert Decimal(str(currencies["SEK"]["summa"])) == _sek_sum(rows)
    assert currencies["SEK"]["lases_in"] and not currencies["EUR"]["lases_in"]
    assert currencies["EUR"]["rader"] + currencies["USD"]["rader"] == sum(r[6] != "SEK" for r in rows)
    assert report["felaktiga_kopare_id"] == [{"kopare_id": "212000-2628", "kopare": "Umeå kommun",
                                              "rader": 1, "registrets_kopare_id": "212000-2627"}]
    warnings = " ".join(report["varningar"])
    assert "annan valuta" in warnings and "1 kreditfakturor har positivt belopp" in warnings
    assert "212000-2628" in warnings and "3 rader innehåller bara avgränsare" in warnings
    text = run_openup("validate", path).output
    assert "valuta EUR" in text and "(avvisas)" in text and "varning: " in text


def test_a_bad_buyer_number_the_register_does_not_know_is_rejected_and_reported(tmp_path, register):
    rows = agency_rows(("202100-6255", "Statens testverk"), count=30)
    rows[2][-2:] = ("202100-6256", "Statens provverk")
    path = write_agency_file(tmp_path / "q.csv", AGENCY_HEADER, rows)
    report = json.loads(run_openup("validate", "--json", path).output)[0]
    assert report["felaktiga_kopare_id"] == [{"kopare_id": "202100-6256", "kopare": "Statens provverk",
                                              "rader": 1, "registrets_kopare_id": None}]
    assert any(e["kolumn"] == "kopare_id" for e in report["exempel"])


def test_without_a_register_a_bad_buyer_number_is_reported_and_rejected(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENUP_REGISTER", raising=False)
    rows = agency_rows(("202100-6255", "Statens testverk"), count=30)
    rows[4][-2:] = BAD_CHECK_DIGIT
    report = json.loads(run_openup("validate", "--json", write_agency_file(tmp_path / "q.csv", AGENCY_HEADER, rows)).output)[0]
    assert report["felaktiga_kopare_id"][0]["registrets_kopare_id"] is None
    assert report["rader_som_skulle_avvisas"] == 1 + sum(r[6] != "SEK" for r in rows)


def test_a_register_that_is_not_there_is_a_usage_error(tmp_path, monkeypatch, agency_file):
    monkeypatch.setenv("OPENUP_REGISTER", str(tmp_path / "nowhere.csv"))
    result = run_openup("load", "--db", tmp_path / "r.db", agency_file[0])
    assert result.exit_code == 2 and "OPENUP_REGISTER" in result.output


def _ledger(db) -> list[tuple]:
    return [tuple(r) for r in _rows(db, "SELECT kopare_id, kopare, leverantor, leverantor_id, "
                                        "bokforingsdatum, fakturanummer, nettobelopp, faktura_typ, kallrad "
                                        "FROM leverantorsreskontra ORDER BY kallrad")]


def test_column_order_and_v11_names_load_the_same_rows(tmp_path, agency_file):
    path, rows = agency_file
    order = [8, 7, 4, 3, 0, 1, 5, 6, 2]
    shuffled = write_agency_file(tmp_path / "shuffled.csv", [AGENCY_HEADER[i] for i in order],
                                 [[r[i] for i in order] for r in rows])
    renamed = write_agency_file(tmp_path / "renamed.csv", [V11_NAMES.get(h, h) for h in AGENCY_HEADER], rows)
    ledgers = []
    for number, file in enumerate((path, shuffled, renamed)):
        db = tmp_path / f"{number}.db"
        assert run_openup("load", "--db", db, file).exit_code == 0
        ledgers.append(_ledger(db))
    assert ledgers[0] and ledgers[0] == ledgers[1] == ledgers[2]


def test_unknown_columns_are_named_in_validate_load_and_kallfiler(tmp_path, agency_file):
    _, rows = agency_file
    path = write_agency_file(tmp_path / "extra.csv", [*AGENCY_HEADER, "\ufeffprojekt_kod"],
                             [[*r, "P1"] for r in rows])
    report = json.loads(run_openup("validate", "--json", path).output)[0]
    assert report["okanda_kolumner"] == ["projekt_kod"]
    db = tmp_path / "x.db"
    assert "okända kolumner (läses inte in): projekt_kod" in run_openup("load", "--db", db, path).output
    assert _rows(db, "SELECT okanda_kolumner FROM kallfiler")[0][0] == "projekt_kod"


def test_names_match_ignoring_case_accents_bom_spaces_and_punctuation():
    table = alias_table()
    for cell in ("\ufeffLEVERANTÖR ", "leverantor", "Leverantör", "leve-rantor"):
        assert table.target(cell) == "leverantor", cell
    assert table.target("Belopp (kr exkl moms)") == "nettobelopp"
    assert table.target("Org.nr") == table.target("ORGNR") == "leverantor_id"


def test_kopare_is_the_number_or_the_name_by_its_values():
    header = ["kopare", "kopare_text", "leverantor", "belopp"]
    assert map_columns(header, [["2120001355", "Göteborgs Stad", "A AB", "1"]]).positions["kopare_id"] == 0
    named = map_columns(["kopare_id", "kopare", "leverantor", "belopp"],
                        [["212000-1355", "Göteborgs Stad", "A AB", "1"]])
    assert (named.positions["kopare_id"], named.positions["kopare"]) == (0, 1)


def test_every_profile_header_name_is_in_the_alias_table():
    table = alias_table()
    for profile in builtin_profiles().values():
        for variants in profile.header:
            for name in variants:
                assert table.target(name.rstrip("*")) or fold(name).endswith("*"), (profile.name, name)


def test_a_name_under_two_columns_is_refused_unless_declared_by_values():
    with pytest.raises(ValueError, match="stands under"):
        parse_alias_table('[columns]\nkopare = ["kopare"]\nkopare_id = ["Köpare"]\n')
    with pytest.raises(ValueError, match="by_values"):
        parse_alias_table('[columns]\nkopare = ["kopare"]\n[by_values]\nkund = { organisationsnummer = "kopare_id" }\n')
    assert alias_table().by_values == {"kopare": {"organisationsnummer": "kopare_id"}}
