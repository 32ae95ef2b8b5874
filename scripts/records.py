"""One published line in, one normalised ledger row out (or the reason it was rejected).

This is the loader's hot loop (millions of lines). Most fields repeat (buyers, suppliers,
accounts, dates, departments), so each is normalised once per distinct value and cached for
the file; only amounts and invoice/voucher numbers are handled line by line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import itemgetter

from . import identifiers as ids
from .profiles import HeaderMatch
from .values import MONTH, parse_amount, parse_date, repair_invoice_number, split_account

# Order of the values a normaliser returns; the loader appends kallfil_id and kallrad.
ROW_COLUMNS = (
    "kopare_id", "kopare", "verifikationsnummer", "leverantor", "leverantor_id", "konto_nr",
    "konto_text", "bokforingsdatum", "forvaltning", "fakturanummer", "nettobelopp", "grund",
    "avtal", "kommun_id", "s_kod_nr", "leverantor_id_typ", "leverantor_nyckel",
    "datum_precision", "maskerad",
)
AMOUNT = ROW_COLUMNS.index("nettobelopp")
_SOURCE_COLUMNS = (*ROW_COLUMNS[:15], "valuta")
_KEYED_BY_ID = (ids.ORGANISATIONSNUMMER, ids.FOREIGN_VAT)
_SEK = frozenset({"", "sek", "kr"})
_PLAIN_AMOUNT = re.compile(r"-?[0-9]+(?:\.[0-9]{1,2})?")


class Rejected(Exception):
    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column, self.reason = column, ids.mask_personal_numbers(reason)[0]


@dataclass(frozen=True)
class FileContext:
    """What the file itself may not say: the buyer and the period."""

    buyer_id: str | None = None
    buyer_name: str | None = None
    period: str | None = None  # YYYY-MM, from --period or the file name
    municipality: str | None = None  # kommun_id of the publisher, from its profile


def clean_text(text: str) -> tuple[str, int]:
    """Trimmed text with personal numbers masked, and how many were."""
    return ids.mask_personal_numbers(text.strip())


def _clean_number(text: str) -> tuple[str, int]:
    if len(text) < 10 and text.isalnum():
        return text, 0  # too short to hold a personnummer, nothing to repair
    return clean_text(repair_invoice_number(text))


class RowNormaliser:
    """Callable turning a list of fields into a ledger row tuple; raises Rejected."""

    def __init__(self, match: HeaderMatch, context: FileContext):
        self.width = len(match.header)
        # A column the file lacks is read from one empty field appended to every line.
        self.pick = itemgetter(*(match.positions.get(c, self.width) for c in _SOURCE_COLUMNS))
        self.internal_ids = match.profile.internal_supplier_ids
        self.context = context
        self.period_date = f"{context.period}-01" if context.period else None
        self.municipality = context.municipality or ""
        self.amounts_seen = 0  # öre, to recognise a trailing sum row (Unit4 Agresso)
        self.buyers: dict[tuple[str, str], tuple[str, str]] = {}
        self.suppliers: dict[tuple[str, str], tuple[str, str | None, str, str, int]] = {}
        self.accounts: dict[tuple[str, str], tuple[str, str, int]] = {}
        self.dates: dict[str, tuple[str, str]] = {}
        self.texts: dict[str, tuple[str, int]] = {}

    def __call__(self, fields: list[str]) -> tuple:
        if len(fields) != self.width:
            self._check_width(fields)
            fields = fields[: self.width]
        fields.append("")
        (kid, kname, voucher, name, sid, konto, ktext, date, unit, invoice, amount_text,
         basis, contract, municipality, scode, currency) = self.pick(fields)
        if currency and currency.strip().casefold() not in _SEK:
            raise Rejected("valuta", f"beloppet är i {currency.strip()}, inte i kronor")
        amount = self._amount(amount_text)
        supplier = self.suppliers.get((name, sid)) or self._supplier(name, sid, amount)
        buyer = self.buyers.get((kid, kname)) or self._buyer(kid, kname)
        day = self.dates.get(date) or self._date(date)
        account = self.accounts.get((konto, ktext)) or self._account(konto, ktext)
        texts = self.texts
        unit_ = texts.get(unit) or self._text(unit)
        basis_ = texts.get(basis) or self._text(basis)
        contract_ = texts.get(contract) or self._text(contract)
        municipality_ = texts.get(municipality) or self._text(municipality)
        scode_ = texts.get(scode) or self._text(scode)
        invoice_ = _clean_number(invoice)
        voucher_ = _clean_number(voucher)
        masked = (supplier[4] + account[2] + unit_[1] + basis_[1] + contract_[1] + invoice_[1]
                  + voucher_[1] + municipality_[1] + scode_[1])
        self.amounts_seen += round(amount * 100)
        return (
            buyer[0], buyer[1], voucher_[0], supplier[0], supplier[1], account[0], account[1],
            day[0], unit_[0], invoice_[0], amount, basis_[0], contract_[0],
            municipality_[0] or self.municipality, scode_[0], supplier[2], supplier[3], day[1],
            1 if masked else 0,
        )

    def _check_width(self, fields: list[str]) -> None:
        if len(fields) > self.width and not any(f.strip() for f in fields[self.width:]):
            return  # an empty trailing column
        raise Rejected("", f"fel antal fält: väntade {self.width}, fick {len(fields)}")

    @staticmethod
    def _amount(text: str) -> float:
        if _PLAIN_AMOUNT.fullmatch(text):
            return float(text)
        if not text.strip():
            raise Rejected("nettobelopp", "belopp saknas")
        try:
            return parse_amount(text)
        except ValueError as error:
            raise Rejected("nettobelopp", str(error)) from None

    def _supplier(self, name: str, raw_id: str, amount: float) -> tuple:
        if not name.strip() and not raw_id.strip():
            if self.amounts_seen and round(amount * 100) == self.amounts_seen:
                raise Rejected("leverantor", "summeringsrad: beloppet är summan av filens rader")
            raise Rejected("leverantor", "leverantör saknas (varken namn eller id)")
        id_type, supplier_id = ids.classify_supplier_id(raw_id, self.internal_ids)
        if id_type in ids.PERSONAL_TYPES:
            label, masked = ids.SOLE_TRADER_LABEL, 1
        else:
            label, masked = clean_text(name)
            label = label or supplier_id or ""
        key = supplier_id if id_type in _KEYED_BY_ID else label
        return _remember(self.suppliers, (name, raw_id), (label, supplier_id, id_type, key, masked))

    def _buyer(self, raw_id: str, raw_name: str) -> tuple[str, str]:
        given_id, name = raw_id.strip(), raw_name.strip()
        if not given_id and name and self._organisation_number(name):
            given_id, name = name, ""  # v1.0 files put the number in `kopare`
        number = self._organisation_number(given_id) if given_id else self.context.buyer_id
        if number is None:
            if given_id:
                raise Rejected("kopare_id", f"ogiltigt organisationsnummer för köparen: {given_id!r}")
            raise Rejected("kopare_id", "köparens organisationsnummer saknas (ange --buyer)")
        value = (number, clean_text(name)[0] or (self.context.buyer_name or ""))
        return _remember(self.buyers, (raw_id, raw_name), value)

    @staticmethod
    def _organisation_number(text: str) -> str | None:
        kind, value = ids.classify_supplier_id(text)
        return value if kind == ids.ORGANISATIONSNUMMER else None

    def _date(self, text: str) -> tuple[str, str]:
        if text.strip():
            try:
                value = parse_date(text)
            except ValueError as error:
                raise Rejected("bokforingsdatum", str(error)) from None
        elif self.period_date:
            value = (self.period_date, MONTH)
        else:
            raise Rejected("bokforingsdatum", "datum saknas, och ingen månad i filnamnet eller --period")
        return _remember(self.dates, text, value)

    def _account(self, raw_number: str, raw_text: str) -> tuple[str, str, int]:
        if raw_text.strip():
            number, text = split_account(raw_number)[0], raw_text
        else:
            number, text = split_account(raw_number)
        clean, masked = clean_text(text)
        return _remember(self.accounts, (raw_number, raw_text), (number, clean, masked))

    def _text(self, text: str) -> tuple[str, int]:
        return _remember(self.texts, text, clean_text(text))


_CACHE_LIMIT = 100_000  # distinct values kept per cache, so memory stays flat on any file


def _remember(cache: dict, key, value):
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value
