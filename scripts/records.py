"""Published lines in, normalised ledger rows out (or the reason each line was rejected).

This is the loader's hot path (millions of lines), so it works on batches of lines, column by
column: most columns repeat (buyers, suppliers, accounts, dates, departments), so each distinct
value is normalised once and then looked up for the whole column in C (`map` over a dict);
the columns that do not repeat (amounts, invoice and voucher numbers) are checked for the
whole batch with one regular expression and handled value by value only where it matches.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import itemgetter

from . import identifiers as ids
from .columns import SPEC_COLUMNS, ColumnMap
from .register import Register
from .values import DAY, MONTH, parse_amount, parse_date, repair_invoice_number, split_account

# The ledger columns a batch holds, in the order they are written.
ROW_COLUMNS = (*SPEC_COLUMNS, "faktura_typ", "leverantor_id_typ", "leverantor_nyckel",
               "datum_precision", "maskerad")
_KEYED_BY_ID = (ids.ORGANISATIONSNUMMER, ids.FOREIGN_VAT)
SEK = "SEK"
_MEANS_SEK = frozenset({"", "sek", "kr"})
_MONTH_WORDS = frozenset({"manad", "månad"})  # datum_precision of a date that is only its month
_CACHE_LIMIT = 100_000  # distinct values kept per column, so memory stays flat on any file
_PLAIN_AMOUNTS = re.compile(r"-?[0-9]+(?:\.[0-9]{1,2})?(?:\n-?[0-9]+(?:\.[0-9]{1,2})?)*")
# Anything in a column of numbers that needs a closer look: padding, a spreadsheet's float or
# exponent, a lone dash, or ten digits in a row (perhaps a personnummer).
_NUMBERS_NEED_WORK = re.compile(
    r"(?:^|\x1f)\s|\s(?:\x1f|$)|\.0+(?:\x1f|$)|[eE]\+?[0-9]|(?:^|\x1f)[-–]+(?:\x1f|$)"
    r"|[0-9]{6}[-+ ]?[0-9]{4}")


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
    internal_id_buyers: frozenset[str] = frozenset()  # buyers whose supplier ids are their own
    month_on_first: bool = False  # a date on the 1st of a month is only its month (the layout's rule)


@dataclass
class Batch:
    """Normalised rows of consecutive lines, column by column, and the lines rejected."""

    columns: list[Sequence]  # one sequence per ROW_COLUMNS entry
    lines: list[int]  # the source line of each row
    ore: list[int]  # nettobelopp in öre, exact
    rejected: list[tuple[int, list[str], str, str]] = field(default_factory=list)
    # (line, fields as published, column, reason)
    currencies: Counter = field(default_factory=Counter)  # (currency, "rader"|"ore") -> total

    def column(self, name: str) -> Sequence:
        return self.columns[ROW_COLUMNS.index(name)]

    def rows(self, file_id: int) -> list[tuple]:
        """Tuples in ROW_COLUMNS order, then kallfil_id and kallrad."""
        return list(zip(*self.columns, repeat(file_id, len(self.lines)), self.lines))


_FAILED = ("",) * 5  # stands in for a failed value until its line is dropped


class _Failure:
    """A cached value that rejects every line holding it."""

    __slots__ = ("column", "reason")

    def __init__(self, column: str, reason: str):
        self.column, self.reason = column, reason


def clean_text(text: str) -> tuple[str, int]:
    """Trimmed text with personal numbers masked, and how many were."""
    return ids.mask_personal_numbers(text.strip())


def _clean_number(text: str) -> tuple[str, int]:
    return clean_text(repair_invoice_number(text))


class BatchNormaliser:
    """Turns batches of published lines into Batches; one per file, caches shared by batches."""

    def __init__(self, columns: ColumnMap, context: FileContext, register: Register):
        self.width = len(columns.header)
        self.positions = columns.positions
        self.context = context
        self.register = register
        # (buyer id, name) as published whose id fails its check -> the register's id, or None
        self.bad_buyer_ids: dict[tuple[str, str], str | None] = {}
        self.bad_buyer_id_rows: Counter = Counter()
        self.period_date = f"{context.period}-01" if context.period else None
        self.caches: dict[str, dict] = {}
        self.failing: dict[str, set] = {}  # per cache, the keys that reject a line
        self.masking: dict[str, set] = {}  # per cache, the keys whose value masked something
        self.amounts_seen = 0  # öre of the rows so far, to recognise a trailing sum row

    def __call__(self, lines: list[int], lines_fields: list[list[str]]) -> Batch:
        original = list(lines_fields)  # as published, for rejected lines
        failed: dict[int, tuple[str, str]] = {}  # index -> (column, reason), first check wins
        if set(map(len, lines_fields)) != {self.width}:
            for index, fields in enumerate(lines_fields):
                if len(fields) == self.width:
                    continue
                if len(fields) > self.width and not any(f.strip() for f in fields[self.width:]):
                    lines_fields[index] = fields[: self.width]  # an empty trailing column
                else:
                    lines_fields[index] = [""] * self.width  # read as empty, rejected below
                    failed[index] = ("", f"fel antal fält: väntade {self.width}, fick {len(fields)}")
        count = len(lines_fields)
        empty = ("",) * count
        by_column = list(zip(*lines_fields)) if count else [empty] * self.width  # in one pass, in C

        def source(name: str) -> Sequence[str]:
            position = self.positions.get(name)
            return empty if position is None else by_column[position]

        amounts = self._amounts(source("nettobelopp"), failed)
        ore = [round(a * 100) for a in amounts]
        currencies = self._currencies(source("valuta"), ore, failed)
        buyer_keys = list(zip(source("kopare_id"), source("kopare")))
        buyer_failed: dict[int, tuple[str, str]] = {}  # noted after the supplier's: see _rejections
        buyers = self._mapped("buyer", buyer_keys, self._buyer, buyer_failed)
        if self.bad_buyer_ids:
            self.bad_buyer_id_rows.update(k for k in buyer_keys if k in self.bad_buyer_ids)
        mapped = {
            "supplier": self._mapped("supplier", self._supplier_keys(source, buyers[0]),
                                     self._supplier, failed),
            "buyer": buyers,
            "date": self._mapped("date", self._date_keys(source), self._date, failed),
            "account": self._mapped("account", list(zip(source("konto_nr"), source("konto_text"))),
                                    self._account, failed),
            **{name: self._mapped(name, source(name), clean_text, failed)
               for name in ("forvaltning", "grund", "avtal", "kommun_id", "s_kod_nr", "faktura_typ")},
            "fakturanummer": self._numbers(source("fakturanummer")),
            "verifikationsnummer": self._numbers(source("verifikationsnummer")),
        }
        for index, failure in buyer_failed.items():
            failed.setdefault(index, failure)
        rejected = self._rejections(lines, original, failed, ore)
        if failed:
            keep = [i not in failed for i in range(count)]
            mapped = {name: (list(compress(values, keep)), has_masked)
                      for name, (values, has_masked) in mapped.items()}
            amounts, ore = list(compress(amounts, keep)), list(compress(ore, keep))
            lines = list(compress(lines, keep))
        self.amounts_seen += sum(ore)

        def pick(name: str, index: int) -> list:
            return list(map(itemgetter(index), mapped[name][0]))

        masked_flags = [pick(name, -1) for name, (_, has_masked) in mapped.items() if has_masked]
        masked = ([1 if any(t) else 0 for t in zip(*masked_flags)] if masked_flags
                  else [0] * len(lines))
        municipality = pick("kommun_id", 0)
        default_municipality = self.context.municipality or ""
        if default_municipality and "" in municipality:
            municipality = [m or default_municipality for m in municipality]
        columns = [
            pick("buyer", 0), pick("buyer", 1), pick("verifikationsnummer", 0), pick("supplier", 0),
            pick("supplier", 1), pick("account", 0), pick("account", 1), pick("date", 0),
            pick("forvaltning", 0), pick("fakturanummer", 0), amounts, pick("grund", 0),
            pick("avtal", 0), municipality, pick("s_kod_nr", 0), pick("faktura_typ", 0),
            pick("supplier", 2), pick("supplier", 3), pick("date", 1), masked,
        ]
        return Batch(columns, lines, ore, rejected, currencies)

    @staticmethod
    def _currencies(column: Sequence[str], ore: list[int], failed: dict[int, tuple[str, str]]) -> Counter:
        """Rows and öre per currency; a row not in kronor is rejected, so no total mixes them."""
        totals: Counter = Counter()
        if not any(column):
            totals[SEK, "rader"], totals[SEK, "ore"] = len(ore), sum(ore)
            return totals
        for index, (value, amount) in enumerate(zip(column, ore)):
            currency = SEK if value.strip().casefold() in _MEANS_SEK else value.strip().upper()
            totals[currency, "rader"] += 1
            totals[currency, "ore"] += amount
            if currency != SEK:
                failed.setdefault(index, ("valuta", f"beloppet är i {currency}, inte i kronor: "
                                                    "räknas inte in i några summor"))
        return totals

    def _supplier_keys(self, source: Callable[[str], Sequence[str]], buyers: list[tuple]) -> list[tuple]:
        """(name, id, whether the id is the buyer's own number) per row: a publisher's rule for
        its supplier numbers applies to its own rows only."""
        names, raw_ids = source("leverantor"), source("leverantor_id")
        internal = self.context.internal_id_buyers
        if not internal.intersection(b[0] for b in buyers):
            return list(zip(names, raw_ids, repeat(False)))
        return [(n, i, b[0] in internal) for n, i, b in zip(names, raw_ids, buyers)]

    def _mapped(self, name: str, keys: Sequence[Hashable], compute: Callable,
                failed: dict[int, tuple[str, str]]) -> tuple[list[tuple], bool]:
        """compute(key) for every key, once per distinct key; failures noted by line.

        Values are tuples whose last item counts what was masked; returns them and whether
        any of them masked anything."""
        cache = self.caches.setdefault(name, {})
        distinct = set(keys)
        missing = distinct.difference(cache)
        if len(cache) + len(missing) > _CACHE_LIMIT:
            cache.clear()
            missing = distinct
        failing = self.failing.setdefault(name, set())
        masking = self.masking.setdefault(name, set())
        for key in missing:
            try:
                value = compute(*key) if isinstance(key, tuple) else compute(key)
                if value[-1]:
                    masking.add(key)
            except Rejected as rejected:
                value = _Failure(rejected.column, rejected.reason)
                failing.add(key)
            cache[key] = value
        values = list(map(cache.__getitem__, keys))
        if failing and not failing.isdisjoint(distinct):
            for index, value in enumerate(values):
                if value.__class__ is _Failure:
                    failed.setdefault(index, (value.column, value.reason))
                    values[index] = _FAILED
        return values, bool(masking) and not masking.isdisjoint(distinct)

    def _amounts(self, column: Sequence[str], failed: dict[int, tuple[str, str]]) -> list[float]:
        joined = "\n".join(column)
        if _PLAIN_AMOUNTS.fullmatch(joined):
            return list(map(float, column))
        if "," in joined and "." not in joined and " " not in joined:
            dotted = joined.replace(",", ".")
            if _PLAIN_AMOUNTS.fullmatch(dotted):
                return list(map(float, dotted.split("\n")))
        amounts = []
        for index, text in enumerate(column):
            try:
                if not text.strip():
                    raise ValueError("belopp saknas")
                amounts.append(parse_amount(text))
            except ValueError as error:
                amounts.append(0.0)
                failed.setdefault(index, ("nettobelopp", str(error)))
        return amounts

    @staticmethod
    def _numbers(column: Sequence[str]) -> tuple[Sequence, bool]:
        joined = "\x1f".join(column)
        if (not (" " in joined or "." in joined or "-" in joined or "–" in joined)
                and (max(map(len, column), default=0) < 10 or not _NUMBERS_NEED_WORK.search(joined))):
            return [(value,) for value in column], False
        values = list(map(_clean_number, column))
        return values, any(masked for _, masked in values)

    def _rejections(self, lines, lines_fields, failed, ore) -> list[tuple[int, list[str], str, str]]:
        rejected = []
        for index in sorted(failed):
            column, reason = failed[index]
            if column == "leverantor" and reason.startswith("leverantör saknas"):
                before = self.amounts_seen + sum(o for i, o in enumerate(ore[:index]) if i not in failed)
                if before and ore[index] == before:
                    reason = "summeringsrad: beloppet är summan av filens rader"
            rejected.append((lines[index], lines_fields[index], column, reason))
        return rejected

    @staticmethod
    def _supplier(name: str, raw_id: str, internal_ids: bool) -> tuple:
        if not name.strip() and not raw_id.strip():
            raise Rejected("leverantor", "leverantör saknas (varken namn eller id)")
        id_type, supplier_id = ids.classify_supplier(name, raw_id, internal_ids)
        if id_type in ids.PERSONAL_TYPES:
            label, masked = ids.SOLE_TRADER_LABEL, 1
        else:
            label, masked = clean_text(name)
            label = label or supplier_id or ""
        key = supplier_id if id_type in _KEYED_BY_ID else label
        return (label, supplier_id, id_type, key, masked)

    def _buyer(self, raw_id: str, raw_name: str) -> tuple[str, str, int]:
        given_id, name = raw_id.strip(), raw_name.strip()
        if not given_id and name and _organisation_number(name):
            given_id, name = name, ""  # v1.0 files put the number in `kopare`
        number = _organisation_number(given_id) if given_id else self.context.buyer_id
        if number is None and given_id:
            number = self.register.number_for_name(name or self.context.buyer_name or "")
            self.bad_buyer_ids[raw_id, raw_name] = number
            if number is None:
                raise Rejected("kopare_id", f"ogiltigt organisationsnummer för köparen: {given_id!r}")
        if number is None:
            raise Rejected("kopare_id", "köparens organisationsnummer saknas (fyll i kopare_id, eller ange "
                                        "köparen vid inläsning med --buyer)")
        clean, masked = clean_text(name)
        return (number, clean or (self.context.buyer_name or ""), masked)

    def _date_keys(self, source: Callable[[str], Sequence[str]]) -> Sequence:
        """The dates, with the precision the file gives (a file Open Up published) if it does."""
        if "datum_precision" not in self.positions:
            return source("bokforingsdatum")
        return list(zip(source("bokforingsdatum"), source("datum_precision")))

    def _date(self, text: str, precision_given: str = "") -> tuple[str, str, int]:
        if text.strip():
            try:
                date, precision = parse_date(text)
                given = precision_given.strip().casefold()  # as Open Up publishes it, if it does
                if given in _MONTH_WORDS or (self.context.month_on_first and date.endswith("-01") and given != DAY):
                    date, precision = f"{date[:7]}-01", MONTH
                return (date, precision, 0)
            except ValueError as error:
                raise Rejected("bokforingsdatum", str(error)) from None
        if self.period_date:
            return (self.period_date, MONTH, 0)
        raise Rejected("bokforingsdatum", "datum saknas, och ingen månad i filnamnet eller --period")

    @staticmethod
    def _account(raw_number: str, raw_text: str) -> tuple[str, str, int]:
        if raw_text.strip():
            number, text = split_account(raw_number)[0], raw_text
        else:
            number, text = split_account(raw_number)
        return (number, *clean_text(text))


def _organisation_number(text: str) -> str | None:
    kind, value = ids.classify_supplier_id(text)
    return value if kind == ids.ORGANISATIONSNUMMER else None
