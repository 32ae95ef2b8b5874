"""Swedish identifiers: organisationsnummer, personnummer and their masking.

A sole trader's organisationsnummer is their personnummer, so supplier ids are classified
here and every personnummer-shaped number in free text is masked before it is stored.
"""

from __future__ import annotations

import re
from functools import lru_cache

from stdnum import luhn
from stdnum.se import orgnr as stdnum_orgnr

MASK = "[personnummer]"
SOLE_TRADER_LABEL = "Enskild näringsidkare"

# Supplier id types, stored in leverantorsreskontra.leverantor_id_typ.
ORGANISATIONSNUMMER = "organisationsnummer"
PERSONNUMMER = "personnummer"
SAMORDNINGSNUMMER = "samordningsnummer"
FOREIGN_VAT = "utlandskt_momsnummer"
INTERNAL = "internt"
INVALID = "ogiltigt"
MISSING = "saknas"
SEVERAL = "flera"
MASKED_BY_PUBLISHER = "maskerat"
SOLE_TRADER_BY_NAME = "enskild_firma"  # no usable id, and the name says it is a sole trader
PERSONAL_TYPES = frozenset({PERSONNUMMER, SAMORDNINGSNUMMER, MASKED_BY_PUBLISHER, SOLE_TRADER_BY_NAME})

_PERSONAL_NUMBER_IN_TEXT = re.compile(
    r"(?<![0-9])(?:19|20)?([0-9]{2})([0-9]{2})([0-9]{2})[-+ ]?([0-9]{4})(?![0-9])"
)
_MISSING_MARKERS = frozenset({"", "-", "0", "null", "saknas", "n/a", "na", "okänd", "none"})
_FOREIGN_VAT = re.compile(r"^[A-Z]{2}[0-9A-Z]{2,13}$")
_SWEDISH_VAT = re.compile(r"^SE([0-9]{10})01$")
_SEPARATORS = re.compile(r"\s*(?:/|,|;|&|\boch\b)\s*")
# An organisation- or personnummer-shaped number inside other text ("556030-8800 AXSTORES").
_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:[0-9]{2})?[0-9]{6}[-+ ]?[0-9]{4}(?![0-9A-Za-z])")
_SOLE_TRADER_MARKER = re.compile(r"\bfirma\b", re.IGNORECASE)  # "med firma", "Firma X", "enskild firma"
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _mistyped_personal_kind(digits: str) -> str | None:
    """PERSONNUMMER or SAMORDNINGSNUMMER for 10 digits whose third and fourth are a month: never
    a legal person's organisationsnummer, so a personal number, even with a wrong check digit."""
    if not 1 <= int(digits[2:4]) <= 12:
        return None
    return SAMORDNINGSNUMMER if int(digits[4:6]) > 60 else PERSONNUMMER


def _personal_kind(yymmdd_tail: str) -> str | None:
    """PERSONNUMMER or SAMORDNINGSNUMMER when 10 digits are a valid one, else None."""
    month, day = int(yymmdd_tail[2:4]), int(yymmdd_tail[4:6])
    kind = PERSONNUMMER
    if day > 60:
        day -= 60
        kind = SAMORDNINGSNUMMER
    if not (1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]):
        return None
    return kind if luhn.is_valid(yymmdd_tail) else None


def mask_personal_numbers(text: str) -> tuple[str, int]:
    """Replace every personnummer/samordningsnummer in text; return (text, count)."""
    if len(text) < 10:
        return text, 0
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        if _personal_kind("".join(match.groups())):
            count += 1
            return MASK
        return match.group(0)

    return _PERSONAL_NUMBER_IN_TEXT.sub(replace, text), count


def format_orgnr(digits: str) -> str:
    return f"{digits[:6]}-{digits[6:]}"


def is_organisationsnummer(digits: str) -> bool:
    """Ten digits, a legal person's (third and fourth digit >= 20), Luhn-valid."""
    return len(digits) == 10 and digits.isdigit() and stdnum_orgnr.is_valid(digits)


@lru_cache(maxsize=200_000)
def classify_supplier_id(raw: str, internal_ids: bool = False) -> tuple[str, str | None]:
    """(id type, normalised id) for a supplier id as published.

    Organisationsnummer become NNNNNN-NNNN; personal numbers give no id at all.
    ``internal_ids`` says the publisher's ids are its own supplier numbers.
    """
    text = raw.strip()
    if text.casefold() in _MISSING_MARKERS:
        return MISSING, None
    if "*" in text:
        return MASKED_BY_PUBLISHER, None
    parts = [p for p in _SEPARATORS.split(text) if p]
    numbers = _NUMBER_IN_TEXT.findall(text)
    if len(parts) == 1 and numbers and numbers[0] != text:  # numbers among words: they are the ids
        parts, text = numbers, numbers[0]
    if len(parts) > 1:
        kinds = [classify_supplier_id(p, internal_ids) for p in parts]
        shown = [MASK if kind in PERSONAL_TYPES else (value or "") for kind, value in kinds]
        return SEVERAL, " / ".join(shown)
    compact = re.sub(r"[\s.]", "", text).upper()
    digits = compact.replace("-", "").replace("+", "")
    if digits.isdigit():
        if len(digits) == 12 and digits.startswith("16") and is_organisationsnummer(digits[2:]):
            return ORGANISATIONSNUMMER, format_orgnr(digits[2:])
        if len(digits) == 12 and digits[:2] in ("19", "20") and (kind := _mistyped_personal_kind(digits[2:])):
            return kind, None
        if len(digits) == 10:
            if kind := _mistyped_personal_kind(digits):
                return kind, None
            if is_organisationsnummer(digits):
                return ORGANISATIONSNUMMER, format_orgnr(digits)
            return (INTERNAL, text) if internal_ids else (INVALID, format_orgnr(digits))
        return INTERNAL, mask_personal_numbers(text)[0]
    swedish_vat = _SWEDISH_VAT.match(compact)
    if swedish_vat and is_organisationsnummer(swedish_vat.group(1)):
        return ORGANISATIONSNUMMER, format_orgnr(swedish_vat.group(1))
    if _FOREIGN_VAT.match(compact) and any(c.isdigit() for c in compact):
        return FOREIGN_VAT, compact
    return INTERNAL, mask_personal_numbers(text)[0]


def classify_supplier(name: str, raw_id: str, internal_ids: bool = False) -> tuple[str, str | None]:
    """classify_supplier_id, and a sole trader known by name: a name marked as a firm
    ("med firma", "enskild firma") with no organisation or VAT number is a person's."""
    kind, value = classify_supplier_id(raw_id, internal_ids)
    if kind in (MISSING, INTERNAL, INVALID) and _SOLE_TRADER_MARKER.search(name):
        return SOLE_TRADER_BY_NAME, None
    return kind, value


def buyer_kind(orgnr: str) -> str:
    """The kind of public body an organisationsnummer belongs to (formats.md)."""
    digits = orgnr.replace("-", "")
    if digits.startswith("212000"):
        return "kommun"
    if digits.startswith("232100"):
        return "region"
    if digits.startswith("202100"):
        return "statlig myndighet"
    if digits.startswith("2"):
        return "annan offentlig organisation"
    return "annan"
