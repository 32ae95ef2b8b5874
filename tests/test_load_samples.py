"""Every publisher shape of formats.md, loaded: recognised, normalised and accounted for."""

import json
from decimal import Decimal

import pytest

EXPECTED_PROFILES = {
    "vgr_leverantorsreskontra_2023-01.csv": "nationell-1.1",
    "goteborg_2023-03.csv": "goteborg",
    "goteborg_2023-04.csv": "goteborg",
    "goteborg_2023-05.csv": "goteborg",
    "orebro_leverantorer_201603.xlsx": "orebro-2016",
    "orebro_leverantorer_2023-05.xlsx": "orebro",
    "umea_leverantorsfakturor_2023.csv": "umea",
    "vasteras_leverantorsreskontra_2023-06.json": "vasteras",
    "stockholm_openup_2023.csv": "openup",
    "vgr_agresso_2022-12.csv": "nationell-1.0",
}


def test_each_shape_is_recognised(query):
    profiles = {r["filnamn"]: r["profil"] for r in query("SELECT filnamn, profil FROM kallfiler")}
    for name, profile in EXPECTED_PROFILES.items():
        assert profiles[name] == profile, name


def test_encodings_and_delimiters_are_detected(query):
    files = {r["filnamn"]: r for r in query("SELECT * FROM kallfiler")}
    assert files["goteborg_2023-04.csv"]["teckenkodning"] == "cp1252"
    assert files["goteborg_2023-05.csv"]["teckenkodning"] == "utf-16"
    assert files["goteborg_2023-05.csv"]["avgransare"] == ","
    assert files["umea_leverantorsfakturor_2023.csv"]["teckenkodning"] == "utf-8-sig"
    assert files["orebro_leverantorer_201603.xlsx"]["blad"] == "Utbetalningar"
    names = {r[0] for r in query("SELECT DISTINCT forvaltning FROM leverantorsreskontra l "
                                 "JOIN kallfiler k ON k.id = l.kallfil_id "
                                 "WHERE k.filnamn = 'goteborg_2023-04.csv'")}
    assert "400 - Stadsmiljönämnden" in names  # cp1252 bytes decoded to å, ä, ö


def test_every_line_is_accounted_for(query):
    for row in query("SELECT * FROM kallfiler"):
        assert row["rader_lasta"] == row["rader_inlasta"] + row["rader_avvisade"], row["filnamn"]
        loaded = query("SELECT count(*) FROM leverantorsreskontra WHERE kallfil_id = ?", [row["id"]])
        rejected = query("SELECT count(*) FROM avvisade_rader WHERE kallfil_id = ?", [row["id"]])
        assert loaded[0][0] == row["rader_inlasta"]
        assert rejected[0][0] == row["rader_avvisade"]


def test_rejected_lines_name_line_column_and_reason(query):
    rows = {r["orsak"].split(":")[0]: r for r in query(
        "SELECT a.*, k.filnamn FROM avvisade_rader a JOIN kallfiler k ON k.id = a.kallfil_id")}
    broken_amount = rows["ogiltigt belopp '12,34,56'"]
    assert (broken_amount["filnamn"], broken_amount["rad"], broken_amount["kolumn"]) == (
        "goteborg_2023-03.csv", 7, "nettobelopp")
    assert "12,34,56" in broken_amount["innehall"]
    bad_date = rows["ogiltigt datum '2023-02-30'"]
    assert bad_date["kolumn"] == "bokforingsdatum" and bad_date["rad"] == 5
    assert rows["summeringsrad"]["filnamn"] == "vgr_agresso_2022-12.csv"
    assert rows["beloppet är i EUR, inte i kronor"]["kolumn"] == "valuta"


def test_month_only_dates_keep_their_precision(query):
    precision = dict(query("SELECT k.profil, min(l.datum_precision) FROM leverantorsreskontra l "
                           "JOIN kallfiler k ON k.id = l.kallfil_id GROUP BY k.profil"))
    assert precision["goteborg"] == "manad"  # the month comes from the file name
    assert precision["umea"] == "manad"  # YYYYMM
    assert precision["nationell-1.1"] == "dag"
    dates = {r[0] for r in query("SELECT DISTINCT bokforingsdatum FROM leverantorsreskontra l "
                                 "JOIN kallfiler k ON k.id = l.kallfil_id WHERE k.period = '2023-03'")}
    assert dates == {"2023-03-01"}


def test_orebro_quirks_are_normalised(query):
    rows = query("SELECT l.* FROM leverantorsreskontra l JOIN kallfiler k ON k.id = l.kallfil_id "
                 "WHERE k.profil = 'orebro-2016'")
    assert all(r["konto_nr"].isdigit() and r["konto_text"] for r in rows)  # '46362 Köp …' split
    assert all(r["leverantor"] == r["leverantor"].strip() for r in rows)  # padding trimmed
    kinds = {r["leverantor_id_typ"] for r in rows}
    assert {"saknas", "flera", "organisationsnummer", "personnummer"} <= kinds
    assert not any(r["fakturanummer"].endswith(".0") for r in rows)  # floats repaired


def test_vasteras_internal_ids_bom_key_and_decimal_comma(query, sample_dir):
    rows = query("SELECT l.* FROM leverantorsreskontra l JOIN kallfiler k ON k.id = l.kallfil_id "
                 "WHERE k.profil = 'vasteras'")
    assert rows and all(r["kopare_id"] == "212000-2080" for r in rows)  # key behind a BOM
    assert {r["leverantor_id_typ"] for r in rows} <= {"internt", "personnummer", "samordningsnummer"}
    published = json.loads((sample_dir / "vasteras_leverantorsreskontra_2023-06.json").read_text())
    amounts = [item["belopp"] for item in published["results"]]
    assert all("," in a for a in amounts)
    expected = sum(Decimal(a.replace(",", ".")) for a in amounts)
    assert Decimal(str(round(sum(r["nettobelopp"] for r in rows), 2))) == expected


def test_buyers_reference_table(query):
    buyers = {r["kopare_id"]: r for r in query("SELECT * FROM kopare")}
    assert buyers["212000-1355"]["typ"] == "kommun"
    assert buyers["212000-1355"]["kommun_id"] == "1480"
    assert buyers["232100-0131"]["typ"] == "region"
    for buyer_id, row in buyers.items():
        count, total = query("SELECT count(*), round(sum(nettobelopp), 2) FROM leverantorsreskontra "
                             "WHERE kopare_id = ?", [buyer_id])[0]
        assert (row["rader"], row["summa"]) == (count, pytest.approx(total, abs=0.01))


@pytest.mark.parametrize("table, columns", [
    ("kopare_leverantor_manad", "kopare_id, leverantor_nyckel, substr(bokforingsdatum, 1, 7)"),
    ("kopare_konto_manad", "kopare_id, konto_nr, konto_text, substr(bokforingsdatum, 1, 7)"),
    ("kopare_forvaltning_manad", "kopare_id, forvaltning, substr(bokforingsdatum, 1, 7)"),
    ("kopare_manad", "kopare_id, substr(bokforingsdatum, 1, 7)"),
    ("kopare_leverantor_ar", "kopare_id, leverantor_nyckel, CAST(substr(bokforingsdatum, 1, 4) AS INTEGER)"),
])
def test_summaries_equal_a_group_by_of_the_ledger(query, table, columns):
    expected = query(f"SELECT {columns}, round(sum(nettobelopp), 2), count(*) "
                     f"FROM leverantorsreskontra GROUP BY {columns} ORDER BY 1, 2, 3")
    key = columns.replace("CAST(substr(bokforingsdatum, 1, 4) AS INTEGER)", "ar").replace(
        "substr(bokforingsdatum, 1, 7)", "manad")
    actual = query(f"SELECT {key}, summa, rader FROM {table} ORDER BY 1, 2, 3")
    assert [tuple(r) for r in actual] == [tuple(r) for r in expected]


def test_buyer_years_count_suppliers_and_invoices_and_find_the_median(query):
    years = query("SELECT * FROM kopare_ar ORDER BY kopare_id, ar")
    assert [(r["kopare_id"], r["ar"]) for r in years] == [tuple(r) for r in query(
        "SELECT DISTINCT kopare_id, CAST(substr(bokforingsdatum, 1, 4) AS INTEGER) FROM leverantorsreskontra "
        "ORDER BY 1, 2")]
    for row in years:
        params = [row["kopare_id"], row["ar"]]
        suppliers = query("SELECT count(DISTINCT leverantor_nyckel) FROM leverantorsreskontra WHERE kopare_id = ? "
                          "AND substr(bokforingsdatum, 1, 4) = CAST(? AS TEXT)", params)[0][0]
        amounts = [r[0] for r in query("SELECT summa FROM fakturor WHERE kopare_id = ? AND ar = ? "
                                       "ORDER BY summa", params)]
        assert (row["leverantorer"], row["fakturor"]) == (suppliers, len(amounts))
        assert row["median_faktura"] == amounts[(len(amounts) - 1) // 2]


def test_invoices_sum_their_konteringar(query):
    assert query("SELECT sum(konteringar), round(sum(summa), 2) FROM fakturor")[0][:] == \
        query("SELECT count(*), round(sum(nettobelopp), 2) FROM leverantorsreskontra")[0][:]
    several = query("SELECT count(*) FROM fakturor WHERE konteringar > 1")[0][0]
    assert several > 0  # the sample books some invoices on several accounts


def test_suppliers_keep_every_name_variant(query):
    for row in query("SELECT * FROM leverantorer LIMIT 50"):
        variants = {r[0] for r in query("SELECT DISTINCT leverantor FROM leverantorsreskontra "
                                        "WHERE leverantor_id = ?", [row["leverantor_id"]])}
        assert set(row["namnvarianter"].split(" | ")) == variants


def test_full_text_search_finds_suppliers_and_accounts(query):
    name = query("SELECT leverantor FROM leverantorer LIMIT 1")[0][0]
    word = name.split()[0]
    hits = query("SELECT leverantor FROM leverantorer WHERE rowid IN "
                 "(SELECT rowid FROM leverantorer_fts WHERE leverantorer_fts MATCH ?)", [f'"{word}"'])
    assert name in {h[0] for h in hits}
    assert query("SELECT count(*) FROM konton_fts WHERE konton_fts MATCH 'Städtjänster'")[0][0] > 0


def test_direct_award_limits_are_data_with_a_source(query):
    limits = {(r["fran"], r["lag"]): r for r in query("SELECT * FROM direktupphandlingsgranser")}
    assert limits[("2022-02-01", "LOU")]["grans"] == 700000
    assert limits[("2016-01-01", "LOU")]["grans"] == 534890
    assert all(r["kalla"] for r in limits.values())


def test_quality_counts_equal_a_group_by_of_the_ledger(query):
    expected = query(
        "SELECT kopare_id, CAST(substr(bokforingsdatum, 1, 4) AS INTEGER), count(*), "
        "sum(verifikationsnummer <> ''), sum(leverantor_id IS NOT NULL AND leverantor_id <> ''), "
        "sum(konto_nr <> ''), sum(konto_text <> ''), sum(forvaltning <> ''), sum(fakturanummer <> ''), "
        "sum(avtal <> ''), sum(leverantor_id_typ = 'organisationsnummer'), "
        "sum(datum_precision = 'dag'), sum(maskerad) FROM leverantorsreskontra GROUP BY 1, 2 ORDER BY 1, 2")
    actual = query("SELECT * FROM kopare_kvalitet ORDER BY 1, 2")
    assert [tuple(r) for r in actual] == [tuple(r) for r in expected]


def test_each_file_knows_its_buyers(query):
    pairs = query("SELECT kallfil_id, kopare_id, count(*) FROM leverantorsreskontra GROUP BY 1, 2 ORDER BY 1, 2")
    assert [tuple(r) for r in query("SELECT * FROM kallfil_kopare ORDER BY 1, 2")] == [tuple(r) for r in pairs]


def test_supplier_account_totals_equal_a_group_by_of_the_ledger(query):
    expected = query("SELECT leverantor_nyckel, konto_nr, round(sum(nettobelopp), 2), count(*) "
                     "FROM leverantorsreskontra GROUP BY 1, 2 ORDER BY 1, 2")
    actual = query("SELECT leverantor_nyckel, konto_nr, summa, rader FROM leverantor_konto ORDER BY 1, 2")
    assert [tuple(r) for r in actual] == [tuple(r) for r in expected]
