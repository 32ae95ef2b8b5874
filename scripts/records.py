"""One published line in, one normalised ledger row out (or the reason it was rejected)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

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
_KEYED_BY_ID = (ids.ORGANISATIONSNUMMER, ids.FOREIGN_VAT)
_SEK = frozenset({"", "sek", "kr"})


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


@lru_cache(maxsize=200_000)
def clean_text(text: str) -> tuple[str, int]:
    """Trimmed text with personal numbers masked, and how many were."""
    return ids.mask_personal_numbers(text.strip())


@lru_cache(maxsize=10_000)
def buyer_id(text: str) -> str | None:
    kind, value = ids.classify_supplier_id(text)
    return value if kind == ids.ORGANISATIONSNUMMER else None


class RowNormaliser:
    """Callable turning a list of fields into a ledger row tuple; raises Rejected."""

    def __init__(self, match: HeaderMatch, context: FileContext):
        self.width = len(match.header)
        self.internal_ids = match.profile.internal_supplier_ids
        self.context = context
        get = match.positions.get
        self.at = {column: get(column) for column in (*ROW_COLUMNS[:15], "valuta")}
        self.period_date = f"{context.period}-01" if context.period else None
        self.municipality = context.municipality or ""
        self.amounts_seen = 0  # öre, to recognise a trailing sum row (Unit4 Agresso)

    def _field(self, fields: list[str], column: str) -> str:
        index = self.at[column]
        return fields[index] if index is not None and index < len(fields) else ""

    def _check_width(self, fields: list[str]) -> None:
        if len(fields) == self.width:
            return
        if len(fields) > self.width and not any(f.strip() for f in fields[self.width:]):
            return  # an empty trailing column
        raise Rejected("", f"fel antal fält: väntade {self.width}, fick {len(fields)}")

    def _buyer(self, fields: list[str]) -> tuple[str, str]:
        raw_id = self._field(fields, "kopare_id").strip()
        name = self._field(fields, "kopare").strip()
        if not raw_id and name and buyer_id(name):  # v1.0 files put the number in `kopare`
            raw_id, name = name, ""
        number = buyer_id(raw_id) if raw_id else self.context.buyer_id
        if number is None:
            if raw_id:
                raise Rejected("kopare_id", f"ogiltigt organisationsnummer för köparen: {raw_id!r}")
            raise Rejected("kopare_id", "köparens organisationsnummer saknas (ange --buyer)")
        return number, clean_text(name)[0] or (self.context.buyer_name or "")

    def _date(self, fields: list[str]) -> tuple[str, str]:
        text = self._field(fields, "bokforingsdatum").strip()
        if text:
            try:
                return parse_date(text)
            except ValueError as error:
                raise Rejected("bokforingsdatum", str(error)) from None
        if self.period_date:
            return self.period_date, MONTH
        raise Rejected("bokforingsdatum", "datum saknas, och ingen månad i filnamnet eller --period")

    def _amount(self, fields: list[str]) -> float:
        text = self._field(fields, "nettobelopp").strip()
        if not text:
            raise Rejected("nettobelopp", "belopp saknas")
        try:
            return parse_amount(text)
        except ValueError as error:
            raise Rejected("nettobelopp", str(error)) from None

    def __call__(self, fields: list[str]) -> tuple:
        self._check_width(fields)
        currency = self._field(fields, "valuta").strip()
        if currency.casefold() not in _SEK:
            raise Rejected("valuta", f"beloppet är i {currency}, inte i kronor")
        amount = self._amount(fields)
        supplier_raw = self._field(fields, "leverantor")
        id_raw = self._field(fields, "leverantor_id")
        if not supplier_raw.strip() and not id_raw.strip():
            if round(amount * 100) == self.amounts_seen and self.amounts_seen:
                raise Rejected("leverantor", "summeringsrad: beloppet är summan av filens rader")
            raise Rejected("leverantor", "leverantör saknas (varken namn eller id)")
        buyer, buyer_name = self._buyer(fields)
        date, precision = self._date(fields)
        id_type, supplier_id = ids.classify_supplier_id(id_raw, self.internal_ids)
        masked = 0
        if id_type in ids.PERSONAL_TYPES:
            supplier, masked = ids.SOLE_TRADER_LABEL, 1
        else:
            supplier, masked = clean_text(supplier_raw)
            supplier = supplier or (supplier_id or "")
        account, account_text = self._field(fields, "konto_nr"), self._field(fields, "konto_text")
        if not account_text.strip():
            account, account_text = split_account(account)
        else:
            account = split_account(account)[0]
        account_text, n = clean_text(account_text)
        masked += n
        unit, n = clean_text(self._field(fields, "forvaltning"))
        masked += n
        invoice, n = clean_text(repair_invoice_number(self._field(fields, "fakturanummer")))
        masked += n
        voucher, n = clean_text(repair_invoice_number(self._field(fields, "verifikationsnummer")))
        masked += n
        basis, n = clean_text(self._field(fields, "grund"))
        masked += n
        contract, n = clean_text(self._field(fields, "avtal"))
        masked += n
        self.amounts_seen += round(amount * 100)
        key = supplier_id if id_type in _KEYED_BY_ID else supplier
        return (
            buyer, buyer_name, voucher, supplier, supplier_id, account, account_text, date, unit,
            invoice, amount, basis, contract, clean_text(self._field(fields, "kommun_id"))[0] or self.municipality,
            clean_text(self._field(fields, "s_kod_nr"))[0], id_type, key, precision,
            int(masked > 0),
        )
