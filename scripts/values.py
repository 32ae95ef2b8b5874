"""Parsing of single published values: amounts, dates, account fields, invoice numbers.

Each parser takes the text as published and returns the normalised value or raises
ValueError with a message saying what was expected (it becomes the rejection reason).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

DAY = "dag"
MONTH = "manad"

_PLAIN_AMOUNT = re.compile(r"-?[0-9]+(?:[.,][0-9]{1,2})?")
_AMOUNT_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009'")
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})
_GROUPED = re.compile(r"[0-9]{1,3}(?:X[0-9]{3})+")


def _grouped(integer_part: str, separator: str) -> bool:
    return bool(_GROUPED.fullmatch(integer_part.replace(separator, "X")))


def parse_amount(text: str) -> float:
    """An amount in SEK, exact to the öre, from Swedish, English or ERP notation."""
    if _PLAIN_AMOUNT.fullmatch(text):
        return float(text.replace(",", "."))
    value = text.strip().translate(_AMOUNT_SPACES).translate(_MINUS_SIGNS)
    negative = value.startswith("-") or value.endswith("-")
    value = value.strip("-").lstrip("+")
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if not value or not value[0].isdigit():
        raise ValueError(f"ogiltigt belopp {text!r}: väntade ett tal som 1 234,56")
    last_comma, last_point = value.rfind(","), value.rfind(".")
    if last_comma >= 0 and last_point >= 0:
        decimal_sep = "," if last_comma > last_point else "."
        thousands_sep = "." if decimal_sep == "," else ","
    elif value.count(",") > 1 or value.count(".") > 1:
        decimal_sep, thousands_sep = "", "," if "," in value else "."
    else:
        decimal_sep, thousands_sep = ("," if "," in value else "."), ""
    if decimal_sep and decimal_sep in value:
        integer_part, _, fraction = value.rpartition(decimal_sep)
    else:
        integer_part, fraction = value, ""
    if thousands_sep and thousands_sep in integer_part and not _grouped(integer_part, thousands_sep):
        raise ValueError(f"ogiltigt belopp {text!r}: tusentalsavgränsare på fel plats")
    digits = integer_part.replace(thousands_sep, "") if thousands_sep else integer_part
    if not digits.isdigit() or (fraction and not fraction.isdigit()):
        raise ValueError(f"ogiltigt belopp {text!r}: väntade ett tal som 1 234,56")
    try:
        exact = Decimal(f"{digits}.{fraction or '0'}")
    except InvalidOperation as error:  # pragma: no cover - guarded by isdigit above
        raise ValueError(f"ogiltigt belopp {text!r}") from error
    in_ore = exact.quantize(Decimal("0.01"))
    if abs(exact - in_ore) > Decimal("0.000001"):
        raise ValueError(f"ogiltigt belopp {text!r}: fler än två decimaler")
    return float(-in_ore if negative else in_ore)


_EXCEL_EPOCH = dt.date(1899, 12, 30)
_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[T ][0-9:.]+)?")
_ISO_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")
_SLASHED = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_DOTTED = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
_EXCEL_SERIAL = re.compile(r"([0-9]{5})(?:\.0+)?")


def _day(year: int, month: int, day: int, text: str) -> tuple[str, str]:
    try:
        return dt.date(year, month, day).isoformat(), DAY
    except ValueError:
        raise ValueError(f"ogiltigt datum {text!r}: datumet finns inte") from None


def _month(year: int, month: int, text: str) -> tuple[str, str]:
    if not 1 <= month <= 12:
        raise ValueError(f"ogiltigt datum {text!r}: månaden finns inte")
    return f"{year:04d}-{month:02d}-01", MONTH


@lru_cache(maxsize=100_000)
def parse_date(text: str) -> tuple[str, str]:
    """(ISO date, precision) where precision is DAY or MONTH (then the 1st of the month)."""
    value = text.strip()
    if m := _ISO_DAY.fullmatch(value):
        return _day(int(m[1]), int(m[2]), int(m[3]), text)
    if value.isdigit() and len(value) == 8:
        return _day(int(value[:4]), int(value[4:6]), int(value[6:]), text)
    if value.isdigit() and len(value) == 6:
        return _month(int(value[:4]), int(value[4:]), text)
    if m := _ISO_MONTH.fullmatch(value):
        return _month(int(m[1]), int(m[2]), text)
    if m := _SLASHED.fullmatch(value) or _DOTTED.fullmatch(value):
        return _day(int(m[3]), int(m[2]), int(m[1]), text)
    if m := _EXCEL_SERIAL.fullmatch(value):
        date = _EXCEL_EPOCH + dt.timedelta(days=int(m[1]))
        return date.isoformat(), DAY
    raise ValueError(
        f"ogiltigt datum {text!r}: väntade ÅÅÅÅ-MM-DD, D/M/ÅÅÅÅ, ÅÅÅÅMMDD, ÅÅÅÅMM eller ett Excel-datum"
    )


_PERIOD_IN_NAME = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})[-_ ]?(0[1-9]|1[0-2])(?![0-9])")


def period_from_file_name(name: str) -> str | None:
    """'2016-03' from names like 'ledger_2016-03.csv' or 'lev201603.xlsx'."""
    match = _PERIOD_IN_NAME.search(name)
    return f"{match[1]}-{match[2]}" if match else None


_ACCOUNT_WITH_TEXT = re.compile(r"([0-9][0-9 ]*?)\s+([^\s0-9].*)")
_SPACED_DIGITS = re.compile(r"[0-9]+(?: [0-9]+)+")


@lru_cache(maxsize=50_000)
def split_account(text: str) -> tuple[str, str]:
    """('46362', 'Köp medicinskt färdigbeh') from '46362 Köp medicinskt färdigbeh';
    account numbers printed with spaces ('68 170') are joined."""
    value = text.strip()
    if _SPACED_DIGITS.fullmatch(value):
        return value.replace(" ", ""), ""
    if match := _ACCOUNT_WITH_TEXT.fullmatch(value):
        return match[1].replace(" ", ""), match[2].strip()
    return value, ""


_FLOATED_NUMBER = re.compile(r"([0-9]+)\.0+")
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+")
_DASHES = frozenset({"-", "--", "–"})


def repair_invoice_number(text: str) -> str:
    """Undo a spreadsheet's damage to an invoice number: '1381258391.0' -> '1381258391'."""
    value = text.strip()
    if value in _DASHES:
        return ""
    if match := _FLOATED_NUMBER.fullmatch(value):
        return match[1]
    if _SCIENTIFIC.fullmatch(value):
        number = Decimal(value)
        if number == number.to_integral_value():
            return str(int(number))
    return value


def swedish_number(value: float, decimals: int = 0) -> str:
    """As Swedish writes it: 1234567.891 -> '1 234 567,89' (decimals=2)."""
    return f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",")
