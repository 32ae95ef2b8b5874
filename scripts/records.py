"""Published records in, normalised ledger rows out (or the reason each record was rejected).

This is the loader's hot path (millions of records), so it works on Polars frames of a batch of
records, column by column, with no Python per row. The rules for a value (identifiers,
personal numbers, dates, accounts, odd amounts) are Python functions, shared with the
validator; most columns repeat (buyers, suppliers, accounts, dates, departments), so a rule
runs once per distinct value and Polars joins its result onto every row holding it. The
columns that do not repeat (amounts, invoice and voucher numbers) are checked by Polars
expressions, and a rule runs only on the values they single out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from . import identifiers as ids
from .columns import SPEC_COLUMNS, ColumnMap
from .rawframes import CONTENT, ERROR, LINE, WHITESPACE, RawBatch
from .rawframes import field as raw_field
from .register import Register
from .values import DAY, MONTH, parse_amount, parse_date, repair_invoice_number, split_account

# The ledger columns a batch holds, in the order they are written.
ROW_COLUMNS = (*SPEC_COLUMNS, "faktura_typ", "leverantor_id_typ", "leverantor_nyckel",
               "datum_precision", "maskerad")
_KEYED_BY_ID = (ids.ORGANISATIONSNUMMER, ids.FOREIGN_VAT)
SEK = "SEK"
_MEANS_SEK = ("", "sek", "kr")
_MONTH_WORDS = frozenset({"manad", "månad"})  # datum_precision of a date that is only its month
_CACHE_LIMIT = 100_000  # distinct values kept per column, so memory stays flat on any file
_PLAIN_AMOUNT = r"^-?[0-9]+(?:[.,][0-9]{1,2})?$"
# A number (invoice, voucher) that needs a closer look: padding, a spreadsheet's float or
# exponent, a lone dash, or ten digits in a row (perhaps a personnummer).
_BLANK = f"[{WHITESPACE}]"
_NUMBER_NEEDS_WORK = rf"^{_BLANK}|{_BLANK}$|\.|^[-–]+$|[eE]\+?[0-9]|[0-9]{{6}}[-+ ]?[0-9]{{4}}"
_FREE_TEXT = ("forvaltning", "grund", "avtal", "kommun_id", "s_kod_nr", "faktura_typ")
_SUM_ROW = "summeringsrad: beloppet är summan av filens rader"
_LARGEST_AMOUNT = 1e13  # kronor: ten times what Sweden's public bodies pay suppliers in a year
_TOO_LARGE = "orimligt belopp '{}': över 10 000 miljarder kronor"


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
    """Normalised rows of a batch of records (ROW_COLUMNS, then kallrad and ore: the amount in
    öre, exact), and the records rejected: (line, fields as published joined, column, reason)."""

    frame: pl.DataFrame
    rejected: list[tuple[int, str, str, str]] = field(default_factory=list)
    currencies: Counter = field(default_factory=Counter)  # (currency, "rader"|"ore") -> total

    def __len__(self) -> int:
        return self.frame.height


@dataclass(frozen=True)
class _Rule:
    """A rule applied once per distinct key: its name, what it gives (column -> type; a column
    ending in _masked counts the personal numbers it masked), and the rule itself (key parts
    in, a tuple of outputs out, or Rejected)."""

    name: str
    outputs: dict[str, pl.DataType]
    compute: Callable[..., tuple]


def clean_text(text: str) -> tuple[str, int]:
    """Trimmed text with personal numbers masked, and how many were."""
    return ids.mask_personal_numbers(text.strip())


def _clean_number(text: str) -> tuple[str, int]:
    return clean_text(repair_invoice_number(text))


def _amount(text: str) -> tuple[float]:
    if not text.strip():
        raise Rejected("nettobelopp", "belopp saknas")
    try:
        return (parse_amount(text),)
    except ValueError as error:
        raise Rejected("nettobelopp", str(error)) from None


_S, _I, _F = pl.String(), pl.Int64(), pl.Float64()


class BatchNormaliser:
    """Turns RawBatches into Batches; one per file, caches shared by batches."""

    def __init__(self, columns: ColumnMap, context: FileContext, register: Register, joiner: str = ";"):
        self.positions = columns.positions
        self.width = len(columns.header)
        self.context = context
        self.register = register
        self.joiner = joiner  # between the fields of a rejected record, as it is shown
        # (buyer id, name) as published whose id fails its check -> the register's id, or None
        self.bad_buyer_ids: dict[tuple[str, str], str | None] = {}
        self.bad_buyer_id_rows: Counter = Counter()
        self.period_date = f"{context.period}-01" if context.period else None
        self.caches: dict[str, dict] = {}
        self.amounts_seen = 0  # öre of the rows so far, to recognise a trailing sum row
        self.rules = {
            "buyer": _Rule("buyer", {"b_id": _S, "b_name": _S, "b_masked": _I}, self._buyer),
            "supplier": _Rule("supplier", {"s_label": _S, "s_id": _S, "s_type": _S, "s_key": _S, "s_masked": _I},
                              self._supplier),
            "date": _Rule("date", {"d_date": _S, "d_precision": _S}, self._date),
            "account": _Rule("account", {"a_nr": _S, "a_text": _S, "a_masked": _I}, self._account),
            "amount": _Rule("amount", {"a_amount": _F}, _amount),
            **{name: _Rule(name, {f"t_{name}": _S, f"t_{name}_masked": _I}, clean_text) for name in _FREE_TEXT},
            **{name: _Rule(name, {f"n_{name}": _S, f"n_{name}_masked": _I}, _clean_number)
               for name in ("fakturanummer", "verifikationsnummer")},
        }

    def source(self, name: str) -> pl.Expr:
        position = self.positions.get(name)
        return pl.lit("", dtype=pl.String) if position is None else pl.col(raw_field(position))

    def __call__(self, raw: RawBatch) -> Batch:
        frame = raw.frame
        if not frame.height:
            return Batch(pl.DataFrame(schema=ROW_SCHEMA))
        amount_text = self.source("nettobelopp")
        plain = amount_text.str.contains(_PLAIN_AMOUNT)
        frame = frame.with_columns(plain=plain)
        frame = self._apply(frame, self.rules["amount"], [amount_text], where=~pl.col("plain"))
        frame = frame.with_columns(
            amount=pl.when(pl.col("plain")).then(amount_text.str.replace(",", ".", literal=True).cast(pl.Float64))
            .otherwise(pl.col("a_amount").fill_null(0.0)))
        too_large = pl.col("amount").abs() >= _LARGEST_AMOUNT
        frame = frame.with_columns(**{
            "amount!": pl.when(too_large).then(pl.format(_TOO_LARGE, amount_text)).otherwise(pl.col("amount!")),
            "amount": pl.when(too_large).then(0.0).otherwise(pl.col("amount"))})
        frame = frame.with_columns(ore=(pl.col("amount") * 100).round(0).cast(pl.Int64))
        frame, currencies = self._currencies(frame)
        frame = self._apply(frame, self.rules["buyer"], [self.source("kopare_id"), self.source("kopare")])
        if self.bad_buyer_ids:
            self._count_bad_buyer_ids(frame)
        internal = self.context.internal_id_buyers
        frame = self._apply(frame, self.rules["supplier"], [
            self.source("leverantor"), self.source("leverantor_id"),
            pl.col("b_id").is_in(list(internal)) if internal else pl.lit(False)])
        date_keys = [self.source("bokforingsdatum")]
        if "datum_precision" in self.positions:  # a file Open Up published
            date_keys.append(self.source("datum_precision"))
        frame = self._apply(frame, self.rules["date"], date_keys)
        frame = self._apply(frame, self.rules["account"], [self.source("konto_nr"), self.source("konto_text")])
        for name in _FREE_TEXT:
            frame = self._apply(frame, self.rules[name], [self.source(name)])
        for name in ("fakturanummer", "verifikationsnummer"):
            frame = self._apply(frame, self.rules[name], [self.source(name)],
                                where=self.source(name).str.contains(_NUMBER_NEEDS_WORK))
        frame = self._failures(frame)
        rejected = self._rejections(frame)
        rows = frame.filter(pl.col("failure").is_null())
        self.amounts_seen += rows["ore"].sum()
        return Batch(rows.select(self._row_columns()), rejected, currencies)

    def _apply(self, frame: pl.DataFrame, rule: _Rule, keys: list[pl.Expr],
               where: pl.Expr | None = None) -> pl.DataFrame:
        """frame with rule's outputs (null where `where` is false) and its rejection reason
        (f"{name}!"), computed once per distinct key."""
        names = [f"{rule.name}:{i}" for i in range(len(keys))]
        keyed = frame.select(LINE, *(key.alias(name) for name, key in zip(names, keys)),  # LINE: a key
                             *([where.alias("where")] if where is not None else []))  # that is a literal is as long
        distinct = (keyed.filter("where") if where is not None else keyed).select(names).unique()
        cache = self.caches.setdefault(rule.name, {})
        if len(cache) + distinct.height > _CACHE_LIMIT:
            cache.clear()
        empty = (None,) * len(rule.outputs)
        results = []
        for key in distinct.iter_rows():
            value = cache.get(key)
            if value is None:
                try:
                    value = (*rule.compute(*key), None)
                except Rejected as rejected:
                    value = (*empty, rejected.reason)
                cache[key] = value
            results.append((*key, *value))
        outputs = {**rule.outputs, f"{rule.name}!": _S}
        if len(keys) == 1:
            found = self._looked_up(keyed, names[0], outputs, results)
        else:  # joined on the keys alone (their order kept, one match each)
            schema = {**dict(zip(names, keyed.select(names).schema.values())), **outputs}
            mapping = pl.DataFrame(results, schema=schema, orient="row")
            found = keyed.select(names).join(mapping, on=names, how="left", maintain_order="left",
                                             nulls_equal=True).drop(names)
        return frame.hstack(found.get_columns())  # beside the frame's columns, which are not copied

    @staticmethod
    def _looked_up(keyed: pl.DataFrame, key: str, outputs: dict[str, pl.DataType], results: list[tuple]) -> pl.DataFrame:
        """The outputs of a rule of one key, looked up by Polars in what it gave each key; a
        rule that left every key as it was (most text) gives the column itself."""
        if all(value[1:] == (value[0], 0, None) for value in results) and len(outputs) == 3:
            text, masked, failure = outputs
            return keyed.select(pl.col(key).alias(text), pl.lit(0, pl.Int64).alias(masked),
                                pl.lit(None, pl.String).alias(failure))
        known = [value[0] for value in results]
        return keyed.select(pl.col(key).replace_strict(known, [value[1 + index] for value in results],
                                                       default=None, return_dtype=dtype).alias(name)
                            for index, (name, dtype) in enumerate(outputs.items()))

    def _currencies(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, Counter]:
        """Rows and öre per currency; a row not in kronor is rejected, so no total mixes them."""
        totals: Counter = Counter()
        if "valuta" not in self.positions or not frame.select((self.source("valuta") != "").any()).item():
            totals[SEK, "rader"], totals[SEK, "ore"] = frame.height, frame["ore"].sum()
            return frame.with_columns(**{"valuta!": pl.lit(None, pl.String)}), totals
        given = self.source("valuta").str.strip_chars(WHITESPACE)
        frame = frame.with_columns(currency=pl.when(given.str.to_lowercase().is_in(_MEANS_SEK)).then(pl.lit(SEK))
                                   .otherwise(given.str.to_uppercase()))
        for currency, rows, ore in frame.group_by("currency").agg(pl.len(), pl.col("ore").sum()).iter_rows():
            totals[currency, "rader"], totals[currency, "ore"] = rows, ore
        return frame.with_columns(**{"valuta!": pl.when(pl.col("currency") != SEK).then(pl.format(
            "beloppet är i {}, inte i kronor: räknas inte in i några summor", pl.col("currency")))}), totals

    def _count_bad_buyer_ids(self, frame: pl.DataFrame) -> None:
        counts = frame.group_by(self.source("kopare_id").alias("id"), self.source("kopare").alias("name")).len()
        for given, name, rows in counts.iter_rows():
            if (given, name) in self.bad_buyer_ids:
                self.bad_buyer_id_rows[given, name] += rows

    def _failures(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The first reason a record is rejected for (in the order the checks are made), and
        its column; a record without a supplier whose amount sums the rows before it is the
        file's sum row."""
        checks = ((ERROR, ""), ("amount!", "nettobelopp"), ("valuta!", "valuta"), ("supplier!", "leverantor"),
                  ("date!", "bokforingsdatum"), ("buyer!", "kopare_id"))
        reason = pl.coalesce(*(pl.col(name) for name, _ in checks))
        column = pl.when(pl.col(checks[0][0]).is_not_null()).then(pl.lit(checks[0][1]))
        for name, label in checks[1:]:
            column = column.when(pl.col(name).is_not_null()).then(pl.lit(label))
        frame = frame.with_columns(failure=reason, failure_column=column)
        kept_ore = pl.when(pl.col("failure").is_null()).then(pl.col("ore")).otherwise(0)
        before = self.amounts_seen + kept_ore.cum_sum() - kept_ore
        sum_row = ((pl.col("failure_column") == "leverantor") & pl.col("failure").str.starts_with("leverantör saknas")
                   & (before != 0) & (pl.col("ore") == before))
        return frame.with_columns(failure=pl.when(sum_row).then(pl.lit(_SUM_ROW)).otherwise(pl.col("failure")))

    def _rejections(self, frame: pl.DataFrame) -> list[tuple[int, str, str, str]]:
        failed = frame.filter(pl.col("failure").is_not_null())
        if not failed.height:
            return []
        published = pl.concat_str([pl.col(raw_field(i)) for i in range(self.width)], separator=self.joiner)
        return failed.select(LINE, pl.coalesce(CONTENT, published), "failure_column", "failure").rows()

    def _row_columns(self) -> list[pl.Expr]:
        municipality = pl.col("t_kommun_id")
        if self.context.municipality:
            municipality = pl.when(municipality == "").then(pl.lit(self.context.municipality)).otherwise(municipality)
        number = {name: pl.coalesce(f"n_{name}", self.source(name)) for name in ("fakturanummer", "verifikationsnummer")}
        masked = pl.sum_horizontal(pl.col(r"^.*_masked$").fill_null(0)) > 0
        return [pl.col("b_id").alias("kopare_id"), pl.col("b_name").alias("kopare"),
                number["verifikationsnummer"].alias("verifikationsnummer"), pl.col("s_label").alias("leverantor"),
                pl.col("s_id").alias("leverantor_id"), pl.col("a_nr").alias("konto_nr"),
                pl.col("a_text").alias("konto_text"), pl.col("d_date").alias("bokforingsdatum"),
                pl.col("t_forvaltning").alias("forvaltning"), number["fakturanummer"].alias("fakturanummer"),
                pl.col("amount").alias("nettobelopp"), pl.col("t_grund").alias("grund"),
                pl.col("t_avtal").alias("avtal"), municipality.alias("kommun_id"),
                pl.col("t_s_kod_nr").alias("s_kod_nr"), pl.col("t_faktura_typ").alias("faktura_typ"),
                pl.col("s_type").alias("leverantor_id_typ"), pl.col("s_key").alias("leverantor_nyckel"),
                pl.col("d_precision").alias("datum_precision"), masked.cast(pl.Int64).alias("maskerad"),
                pl.col(LINE).alias("kallrad"), pl.col("ore")]

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

    def _date(self, text: str, precision_given: str = "") -> tuple[str, str]:
        if text.strip():
            try:
                date, precision = parse_date(text)
                given = precision_given.strip().casefold()  # as Open Up publishes it, if it does
                if given in _MONTH_WORDS or (self.context.month_on_first and date.endswith("-01") and given != DAY):
                    date, precision = f"{date[:7]}-01", MONTH
                return (date, precision)
            except ValueError as error:
                raise Rejected("bokforingsdatum", str(error)) from None
        if self.period_date:
            return (self.period_date, MONTH)
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


ROW_SCHEMA = {**{name: pl.String for name in ROW_COLUMNS}, "nettobelopp": pl.Float64, "maskerad": pl.Int64,
               "kallrad": pl.Int64, "ore": pl.Int64}
