import pytest
from openup.values import (
    DAY,
    MONTH,
    parse_amount,
    parse_date,
    period_from_file_name,
    repair_invoice_number,
    split_account,
)


@pytest.mark.parametrize("text, expected", [
    ("1234.56", 1234.56), ("-1302,03", -1302.03), ("1 234,56", 1234.56),
    ("1\u00a0234\u00a0567,50", 1234567.5), ("1.234,56", 1234.56), ("1,234.56", 1234.56),
    ("1.234.567", 1234567.0), ("\u2212500,00", -500.0), ("500,00-", -500.0), ("(12,50)", -12.5),
    ("0,1", 0.1), ("12", 12.0), ("1234.5600000000001", 1234.56),
])
def test_amounts_in_every_published_notation(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text, why", [
    ("12,34,56", "tusentalsavgränsare"), ("12.345", "decimaler"), ("abc", "väntade"),
    ("1,2,3.4", "tusentalsavgränsare"), ("", "väntade"), ("12,5x", "väntade"),
])
def test_malformed_amounts_are_refused_with_a_reason(text, why):
    with pytest.raises(ValueError, match=why):
        parse_amount(text)


@pytest.mark.parametrize("text, expected", [
    ("2020-03-02", ("2020-03-02", DAY)), ("2/3/2020", ("2020-03-02", DAY)),
    ("20200302", ("2020-03-02", DAY)), ("202003", ("2020-03-01", MONTH)),
    ("2020-03", ("2020-03-01", MONTH)), ("43891", ("2020-03-01", DAY)),
    ("2020-03-02 00:00:00", ("2020-03-02", DAY)), ("2.3.2020", ("2020-03-02", DAY)),
])
def test_dates_with_their_precision(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2023-02-30", "202313", "2023-13-01", "31/02/2021", "igår"])
def test_impossible_dates_are_refused(text):
    with pytest.raises(ValueError, match="ogiltigt datum"):
        parse_date(text)


@pytest.mark.parametrize("name, period", [
    ("goteborg_2016-03.csv", "2016-03"), ("lev201603.xlsx", "2016-03"),
    ("ledger 2019_11 final.csv", "2019-11"), ("leverantorer.csv", None), ("2016-13.csv", None),
])
def test_period_from_file_name(name, period):
    assert period_from_file_name(name) == period


def test_account_fields_split_and_joined():
    assert split_account("46362 Köp medicinskt färdigbeh") == ("46362", "Köp medicinskt färdigbeh")
    assert split_account("68 170") == ("68170", "")
    assert split_account("  4010 ") == ("4010", "")


@pytest.mark.parametrize("text, expected", [
    ("1381258391.0", "1381258391"), ("1.381258391E9", "1381258391"), ("-", ""),
    (" A-123 ", "A-123"), ("12.5", "12.5"),
])
def test_invoice_numbers_repaired(text, expected):
    assert repair_invoice_number(text) == expected
