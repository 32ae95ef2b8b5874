"""Summary and reference tables, kept up to date file by file inside the file's transaction.

A file's rows are folded into FileAggregates while they stream past (no second pass over
the ledger, which at millions of rows costs more than the load itself). Rows are gathered
into chunks and grouped by Polars (in Rust, off the interpreter); the partial totals of the
chunks are combined with the same aggregations. The totals are additive: a loaded file adds
them with sign +1, a replaced file takes them back with -1. Reference tables (buyers,
suppliers, accounts) are then recomputed for the keys touched.

Invoices (konteringar summed per buyer, supplier, invoice number and voucher) are grouped per
chunk. A chunk's invoices whose key the file has not had are staged in bulk; the few others are
added to the invoice already there (an upsert on fakturor's unique key): an invoice's rows make
one invoice wherever they stand in the file.
"""

from __future__ import annotations

import io
import json
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from .identifiers import buyer_kind
from .periods import LAST_COVERED_DAY
from .places import coordinates
from .records import ROW_COLUMNS, ROW_SCHEMA, Batch
from .staging import Staging, table_definition
from .values import swedish_number

_CHUNK_ROWS = 50_000  # rows gathered before Polars folds them into partial totals
_OPEN_TOTALS = 25_000  # summary keys kept in memory before they are written (50,000 peaked at 317 MiB on 10M rows of 32,000 suppliers, 25,000 at 285)
_KEPT_PARTIALS = 8  # partial totals of a summary kept before they are combined into one
_WRITTEN_ROWS = 10_000  # rows turned into Python tuples at a time when totals are written
_FILLED_COLUMNS = ("verifikationsnummer", "leverantor_id", "konto_nr", "konto_text", "forvaltning",
                   "fakturanummer", "avtal")
_CHUNK_COLUMNS = ("kopare_id", "leverantor", "leverantor_id", "konto_nr", "konto_text",
                  "bokforingsdatum", "forvaltning", "fakturanummer", "verifikationsnummer", "avtal",
                  "leverantor_id_typ", "leverantor_nyckel", "datum_precision")
_KEYED_TYPES = ("organisationsnummer", "utlandskt_momsnummer")
# Rows keyed by name though the supplier may have an organisation number elsewhere (the
# personal types are keyed by one label for all sole traders, so they match no one).
_NAME_KEYED_TYPES = ("internt", "ogiltigt", "saknas", "flera")


def _filled(name: str) -> pl.Expr:
    return (pl.col(name).is_not_null() & (pl.col(name) != "")).cast(pl.Int64)


# The name as compared across ids: "TELIA SVERIGE AB" and "Telia Sverige Aktiebolag" alike.
_NAME_FORM = (pl.col("leverantor").str.to_lowercase()
              .str.replace_all(r"\(publ\)", " ")
              .str.replace_all(r"[^\p{L}\p{N}]+", " ")
              .str.replace_all(r"\baktiebolag(?:et)?\b", "ab")
              .str.replace_all(r"\s+", " ").str.strip_chars())
_ONE = pl.col("rad")  # 1 on every row: counts are sums, so partial counts add up
_HAS_CONTRACT = _filled("avtal")


@dataclass(frozen=True, eq=False)  # eq=False: known by identity (Polars expressions do not compare)
class Summary:
    """A summary table's totals: the rows grouped by keys, each value a row expression and the
    aggregation that folds it and then combines partial totals ("sum", "first", "last", "min", "max").
    Tables written with upsert() use only "sum" and "last"."""

    table: str
    keys: tuple[str, ...]
    values: tuple[tuple[str, pl.Expr, str], ...]
    where: pl.Expr | None = None
    year_of: str = ""  # the table has an ar column: the year of this key (a month or a date)
    of_keys: tuple[str, ...] = ()  # values whose expression reads only keys: computed per group

    def partial(self, rows: pl.LazyFrame) -> pl.LazyFrame:
        if self.where is not None:
            rows = rows.filter(self.where)
        return rows.group_by(self.keys).agg(
            getattr(expression, how)().alias(name) for name, expression, how in self.values
            if name not in self.of_keys).with_columns(
            expression.alias(name) for name, expression, _ in self.values if name in self.of_keys)

    def combine(self, partials: list[pl.DataFrame]) -> pl.DataFrame:
        if len(partials) == 1:
            return partials[0]
        return pl.concat(partials).group_by(self.keys).agg(
            getattr(pl.col(name), how)() for name, _, how in self.values)

    @property
    def columns(self) -> list[str]:
        """The table's columns this summary writes, in the order of write()'s rows."""
        values = ["summa" if name == "ore" else name for name, _, _ in self.values]
        return [*self.keys, *(["ar"] if self.year_of else []), *values]

    def upsert(self) -> str:
        """Adds counts and sums to a row already there; "last" values follow the rows that add."""
        # öre to SEK in SQLite, whose division is exact to the last bit (Polars multiplies by 0.01)
        values = ["? / 100.0" if column == "summa" else "?" for column in self.columns]
        return (f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({', '.join(values)}) "
                f"ON CONFLICT DO UPDATE SET {self._updates()}")

    def _updates(self) -> str:
        updates = []
        for name, _, how in self.values:
            assert how in ("sum", "last"), f"{self.table}.{name}: {how} totals do not add up"
            if name == "ore":
                updates.append("summa = round(summa + excluded.summa, 2)")
            elif how == "sum":
                updates.append(f"{name} = {name} + excluded.{name}")
            else:
                updates.append(f"{name} = CASE WHEN excluded.rader > 0 THEN excluded.{name} ELSE {name} END")
        return ", ".join(updates)

    def rows(self, totals: pl.DataFrame, sign: int) -> pl.DataFrame:
        """Totals as written: the keys, the year, the values (counts and öre times sign)."""
        counted = [name for name, _, how in self.values if how == "sum"]  # öre too
        return totals.sort(self.keys).select(
            *self.keys,
            *([pl.col(self.year_of).str.slice(0, 4).cast(pl.Int64).alias("ar")] if self.year_of else []),
            *(pl.col(name) * sign if name in counted else pl.col(name) for name, _, _ in self.values))

    def write(self, conn: sqlite3.Connection, totals: pl.DataFrame, sign: int) -> None:
        _write_rows(conn, self.upsert(), self.rows(totals, sign))

    @property
    def staged_table(self) -> str:
        return f"delsummor_{self.table}"

    @property
    def summed_table(self) -> str:
        return f"summor_{self.table}"

    def create_staged(self) -> str:
        """The staging table of partial totals: rows() and the part each row came in."""
        names = [*self.keys, *(["ar"] if self.year_of else []), *(name for name, _, _ in self.values)]
        return f"CREATE TABLE [{self.staged_table}] ({', '.join(names)}, del)"

    def summed(self) -> str:
        """The statement that adds up the partial totals in the staging file (run there, by ADBC,
        while the database's connection copies and indexes the ledger) into a table of their own."""
        return f"CREATE TABLE [{self.summed_table}] AS {self._summing()}"

    def summed_in_place(self) -> str:
        """The statement that adds up the partial totals into the summary table itself, created
        empty in the staging file (a first load: the table is then copied as it is)."""
        columns = ", ".join(self.columns)
        return f"INSERT INTO [{self.table}] ({columns}) SELECT {columns} FROM ({self._summing()})"

    def _summing(self) -> str:
        """The partial totals added up, sorted by key. "last" values are those of the latest part
        (SQLite takes bare columns from the row of max())."""
        sums = [f"sum({name}) / 100.0 AS summa" if name == "ore" else f"sum({name}) AS {name}"
                for name, _, how in self.values if how == "sum"]
        latest = [name for name, _, how in self.values if how == "last"]
        keys = ", ".join(self.keys)
        return (f"SELECT {keys}{', ar' if self.year_of else ''}, "
                f"{', '.join([*sums, *latest, *(['max(del) AS del'] if latest else [])])} "
                f"FROM [{self.staged_table}] GROUP BY {keys} ORDER BY {keys}")

    def add_up(self, staged: Staging) -> str:
        """Adds the summed partial totals to the table in one statement, in the order of its key:
        upserting them a part at a time sought keys all over the table (a file of 30,000
        suppliers spent half its time there)."""
        return self.added_from(staged.staged(self.summed_table))

    def added_from(self, table: str) -> str:
        """The statement that adds the totals of table (of this table's columns) to this table."""
        return (f"INSERT INTO main.{self.table} ({', '.join(self.columns)}) SELECT {', '.join(self.columns)} "
                f"FROM {table} WHERE true ORDER BY {', '.join(self.keys)} ON CONFLICT DO UPDATE SET {self._updates()}")


def _compact(frame: pl.DataFrame) -> pl.DataFrame:
    """frame in buffers of its own. Polars strings are views into the buffers they came from,
    so totals combined again and again would keep every chunk of the file alive; written out
    and read back (Arrow IPC, in memory) they hold only their own bytes."""
    buffer = io.BytesIO()
    frame.write_ipc(buffer)
    buffer.seek(0)
    return pl.read_ipc(buffer)


def _write_rows(conn: sqlite3.Connection, sql: str, frame: pl.DataFrame) -> None:
    """executemany a slice at a time: the rows as Python tuples would take far more memory."""
    for rows in frame.iter_slices(_WRITTEN_ROWS):
        conn.executemany(sql, rows.rows())


_SUMS = (("ore", pl.col("ore"), "sum"), ("rader", _ONE, "sum"))
SUMMARIES = (
    Summary("kopare_leverantor_manad", ("kopare_id", "leverantor_nyckel", "manad"),
            (*_SUMS, ("rader_med_avtal", _HAS_CONTRACT, "sum"), ("leverantor", pl.col("leverantor"), "last")),
            year_of="manad"),
    Summary("kopare_manad", ("kopare_id", "manad"), _SUMS, year_of="manad"),
    Summary("kopare_leverantor_ar", ("kopare_id", "leverantor_nyckel", "ar"),
            (*_SUMS, ("leverantor", pl.col("leverantor"), "last"))),
    Summary("kopare_konto_manad", ("kopare_id", "konto_nr", "konto_text", "manad"), _SUMS,
            year_of="manad"),
    Summary("kopare_forvaltning_manad", ("kopare_id", "forvaltning", "manad"), _SUMS, year_of="manad"),
    # Spending per day, of the rows dated to the day (for arsslut).
    Summary("kopare_dag", ("kopare_id", "bokforingsdatum"), _SUMS,
            where=pl.col("datum_precision") == "dag", year_of="bokforingsdatum"),
    Summary("leverantor_konto", ("leverantor_nyckel", "konto_nr"),
            (*_SUMS, ("konto_text", pl.col("konto_text"), "last"))),
    Summary("leverantorsnamn", ("leverantor_id", "leverantor"),
            (("rader", _ONE, "sum"), ("namnform", _NAME_FORM, "last")),
            where=pl.col("leverantor_id_typ").is_in(_KEYED_TYPES), of_keys=("namnform",)),
    Summary("namnnycklade_leverantorer", ("leverantor_nyckel", "leverantor_id_typ", "leverantor_id"),
            (("rader", _ONE, "sum"), ("namnform", _NAME_FORM, "last")),
            where=pl.col("leverantor_id_typ").is_in(_NAME_KEYED_TYPES)),
    # How many rows carry each field, per buyer and year (for /inkop/kvalitet).
    Summary("kopare_kvalitet", ("kopare_id", "ar"), (
        ("rader", _ONE, "sum"), *((f"med_{c}", _filled(c), "sum") for c in _FILLED_COLUMNS),
        ("organisationsnummer", (pl.col("leverantor_id_typ") == "organisationsnummer").cast(pl.Int64), "sum"),
        ("dagsdatum", (pl.col("datum_precision") == "dag").cast(pl.Int64), "sum"),
        ("maskerade", pl.col("maskerad"), "sum"))),
)
# The summaries whose keys grow with the file; when they hold too many, all are written out.
_LARGE = ("kopare_leverantor_manad", "leverantor_konto")
FILE_BUYERS = Summary("kallfil_kopare", ("kopare_id",), (("rader", _ONE, "sum"),))
# An invoice is its buyer, supplier, number and voucher; with neither number nor voucher, the
# line alone. Its date is its earliest row's.
INVOICES = Summary("fakturor", ("kopare_id", "leverantor_nyckel", "fakturanyckel", "verifikationsnummer"), (
    ("fakturanummer", pl.col("fakturanummer"), "first"),
    ("bokforingsdatum", pl.col("bokforingsdatum"), "min"),
    ("datum_precision", pl.col("datum_precision"), "min"),  # "dag" if any row has a day
    ("ore", pl.col("ore"), "sum"), ("konteringar", _ONE, "sum"), ("har_avtal", _HAS_CONTRACT, "max"),
    ("forsta_kallrad", pl.col("kallrad"), "min")))
_INVOICE_KEY = (pl.when(_filled("fakturanummer") == 1).then(pl.col("fakturanummer"))
                .when(_filled("verifikationsnummer") == 1).then(pl.col("verifikationsnummer"))
                .otherwise(pl.format("rad:{}", pl.col("kallrad"))))
# An invoice's rows may stand in several chunks. A chunk's invoices whose key the file has not
# had are new: they are staged in bulk. The others (few: invoices whose rows are far apart, and
# the filter's false alarms) are added to the invoice already there, after the staged ones.
_UPSERT_INVOICES = """INSERT INTO fakturor (kopare_id, leverantor_nyckel, fakturanyckel,
        verifikationsnummer, fakturanummer, bokforingsdatum, datum_precision, ar, summa, konteringar,
        har_avtal, forsta_kallrad, kallfil_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, CAST(substr(?6, 1, 4) AS INTEGER), ? / 100.0, ?, ?, ?, ?)
    ON CONFLICT (kallfil_id, kopare_id, leverantor_nyckel, fakturanyckel, verifikationsnummer)
    DO UPDATE SET summa = round(summa + excluded.summa, 2),
        konteringar = konteringar + excluded.konteringar,
        har_avtal = max(har_avtal, excluded.har_avtal),
        forsta_kallrad = min(forsta_kallrad, excluded.forsta_kallrad),
        datum_precision = min(datum_precision, excluded.datum_precision),
        ar = CAST(substr(min(bokforingsdatum, excluded.bokforingsdatum), 1, 4) AS INTEGER),
        bokforingsdatum = min(bokforingsdatum, excluded.bokforingsdatum)"""


class _BloomFilter:
    """Keys (64-bit hashes) as a Bloom filter of `bits` bits (a power of two), three positions per
    key taken by multiply-shift hashing."""

    _MULTIPLIERS = tuple(np.uint64(m) for m in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9))

    def __init__(self, bits: int):
        self.bits, self.shift = np.zeros(bits // 8, dtype=np.uint8), np.uint64(64 - bits.bit_length() + 1)
        self.keys = 0

    def _positions(self, hashes: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        with np.errstate(over="ignore"):  # multiplied modulo 2**64, as meant
            positions = [(hashes * multiplier) >> self.shift for multiplier in self._MULTIPLIERS]
        return [(position >> np.uint64(3), (position & np.uint64(7)).astype(np.uint8)) for position in positions]

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        seen = np.ones(len(hashes), dtype=bool)
        for byte, bit in self._positions(hashes):
            seen &= (self.bits[byte] >> bit) & 1 == 1
        return seen

    def add(self, hashes: np.ndarray) -> None:
        for byte, bit in self._positions(hashes):
            np.bitwise_or.at(self.bits, byte, np.left_shift(1, bit).astype(np.uint8))
        self.keys += len(hashes)


class _SeenKeys:
    """The keys a file has had, in Bloom filters: a key it answers False for is certainly new;
    True is wrong for about 1 key in 400 per filter. The first filter takes 8 MiB and 3 million
    keys; when a filter is that full, one twice its size takes the next keys, so the false
    answers (kept in memory, and written one by one) stay few in a file of any size."""

    _FIRST_BITS = 1 << 26
    _KEYS_PER_BIT = 3_000_000 / (1 << 26)  # 1 false True in 400 at 3 million keys per 2**26 bits

    def __init__(self):
        self.filters = [_BloomFilter(self._FIRST_BITS)]

    def add(self, hashes: np.ndarray) -> np.ndarray:
        """Add keys (64-bit hashes, distinct); whether each may have been added before."""
        seen = np.zeros(len(hashes), dtype=bool)
        for bloom in self.filters:
            seen |= bloom.contains(hashes)
        current = self.filters[-1]
        if (current.keys + len(hashes)) > len(current.bits) * 8 * self._KEYS_PER_BIT:
            current = _BloomFilter(len(current.bits) * 8 * 2)
            self.filters.append(current)
        current.add(hashes)
        return seen


# Polars folds a chunk in a thread of its own (it lets go of the GIL) while the next is read.
_FOLDING = ThreadPoolExecutor(1, thread_name_prefix="fold")


class FileAggregates:
    """Totals of one file's rows, folded in a chunk at a time as the rows stream past.

    sign 1 adds a file being loaded (and writes its invoices); sign -1 takes back a file being
    replaced (its invoices go by kallfil_id). Totals are written out whenever they grow large,
    so memory stays flat whatever the size of the file. With summed_in_place (a first load, into
    empty tables), the summary tables themselves are built in the totals' staging file."""

    def __init__(self, conn: sqlite3.Connection, file_id: int, sign: int = 1, invoices: Staging | None = None,
                 totals: Staging | None = None, summed_in_place: bool = False):
        self.conn, self.file_id, self.sign = conn, file_id, sign
        self.staged_invoices = invoices  # where a loaded file's new invoices go
        self.staged_totals = totals  # where partial totals go to be added up at the end (else upserted)
        # each summary table's CREATE TABLE and CREATE INDEX statements, to build it in staging
        self.built_in_staging = {s: table_definition(conn, s.table) for s in SUMMARIES} if summed_in_place else {}
        self.parts_staged = 0
        self.invoice_keys = _SeenKeys()
        self.invoices_again: list[pl.DataFrame] = []  # partial invoices whose key may have come before
        self.next_invoice_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM fakturor").fetchone()[0]
        self.suppliers: set[str] = set()
        self.partials: dict[Summary, list[pl.DataFrame]] = {s: [] for s in (*SUMMARIES, FILE_BUYERS)}
        self.folding: Future | None = None
        self._new_chunk()

    def _new_chunk(self) -> None:
        self.chunk: list[pl.DataFrame] = []
        self.chunk_rows = 0

    def add(self, batch: Batch) -> None:
        self.chunk.append(batch.frame.select(*_CHUNK_COLUMNS, "maskerad", "ore", "kallrad"))
        self.chunk_rows += batch.frame.height
        if self.chunk_rows >= _CHUNK_ROWS:
            self._fold_chunk()

    def flush(self) -> None:
        """Fold the rows added so far, and wait until they are."""
        self._fold_chunk()
        self._folded()

    def stage_totals(self) -> None:
        """Once every row is added: stage the last partial invoices and totals, and have the
        totals summed in the staging file meanwhile (before it is copied and closed): into
        tables of their own, or into the summary tables (indexed after, as they then are)."""
        self.flush()
        self._write_totals()
        if self.built_in_staging:
            self.staged_totals.meanwhile([statement for summary, (create, indexes) in self.built_in_staging.items()
                                          for statement in (create, summary.summed_in_place(), *indexes)])
        else:
            self.staged_totals.meanwhile([summary.summed() for summary in SUMMARIES])

    def _fold_chunk(self) -> None:
        if not self.chunk_rows:
            return
        chunk = self.chunk
        self._new_chunk()
        self._folded()  # one chunk is folded at a time
        self.folding = _FOLDING.submit(self._fold, chunk)

    def _fold(self, chunk: list[pl.DataFrame]) -> pl.DataFrame | None:
        """Fold a chunk into the partial totals (Polars only: it runs in the thread); the chunk's
        partial invoices, of a file being loaded."""
        rows = pl.concat(chunk).with_columns(
            manad=pl.col("bokforingsdatum").str.slice(0, 7), ar=pl.col("bokforingsdatum").str.slice(0, 4),
            rad=pl.lit(1, pl.Int64), leverantor_id=pl.col("leverantor_id").fill_null("")).lazy()  # a key column
        suppliers = rows.filter(pl.col("leverantor_id_typ").is_in(_KEYED_TYPES)).select(pl.col("leverantor_id").unique())
        queries = [suppliers, *(summary.partial(rows) for summary in self.partials)]
        if self.sign > 0:
            queries.append(INVOICES.partial(rows.with_columns(fakturanyckel=_INVOICE_KEY)).sort(INVOICES.keys))
        found, *partials = pl.collect_all(queries)  # in one pass of Polars' threads
        self.suppliers.update(found["leverantor_id"].to_list())
        for (summary, kept), partial in zip(self.partials.items(), partials):
            kept.append(partial)
            if len(kept) > _KEPT_PARTIALS:
                kept[:] = [_compact(summary.combine(kept))]
        return partials[-1] if self.sign > 0 else None

    def _folded(self) -> None:
        """Wait for the chunk being folded; stage its invoices, and write the totals out if they
        have grown large."""
        if self.folding is None:
            return
        folding, self.folding = self.folding, None
        invoices = folding.result()
        if invoices is not None:
            self._stage_invoices(invoices)
        if self._open_totals() > _OPEN_TOTALS:
            for summary, partials in self.partials.items():
                partials[:] = [summary.combine(partials)]
            if self._open_totals() > _OPEN_TOTALS // 2:  # else combining made room enough
                self._write_totals()
            for partials in self.partials.values():  # what is kept keeps only its own bytes
                partials[:] = [_compact(frame) for frame in partials]

    def _stage_invoices(self, invoices: pl.DataFrame) -> None:
        again = self.invoice_keys.add(invoices.select(pl.struct(INVOICES.keys).hash()).to_series().to_numpy())
        if again.any():  # compacted: a few rows would keep the whole chunk's text alive
            self.invoices_again.append(_compact(invoices.filter(pl.Series(again))))
        new = invoices.filter(pl.Series(~again))
        first = self.next_invoice_id
        self.next_invoice_id += new.height
        self.staged_invoices.add(new.with_columns(
            id=pl.int_range(first, first + new.height, dtype=pl.Int64), kallfil_id=pl.lit(self.file_id, pl.Int64),
            ar=pl.col("bokforingsdatum").str.slice(0, 4).cast(pl.Int64),
            # öre to SEK divided as SQLite divides (Polars multiplies by 0.01, a bit off at times)
            summa=pl.Series(new["ore"].to_numpy() / 100.0)))

    @property
    def buyers(self) -> set[str]:
        """The buyers of the rows folded so far."""
        file_buyers = self.partials[FILE_BUYERS]
        return set(FILE_BUYERS.combine(file_buyers)["kopare_id"].to_list()) if file_buyers else set()

    def _open_totals(self) -> int:
        return sum(frame.height for summary, partials in self.partials.items()
                   if summary.table in _LARGE for frame in partials)

    def _write_totals(self) -> None:
        """Add (or take back) the totals gathered so far in the summary tables, or stage them."""
        for summary in SUMMARIES:
            partials = self.partials[summary]
            if not partials:
                continue
            totals = summary.combine(partials)
            if self.staged_totals is None:
                summary.write(self.conn, totals, self.sign)
            else:
                self.staged_totals.add(summary.rows(totals, self.sign).with_columns(
                    pl.lit(self.parts_staged, pl.Int64).alias("del")), table=summary.staged_table)
            partials.clear()
        self.parts_staged += 1

    def finish(self) -> None:
        """Write what is left, then bring the reference tables up to date."""
        self.flush()
        self._write_totals()
        conn = self.conn
        summed_in_place = bool(self.built_in_staging)  # then the tables hold only what was added
        for summary in () if summed_in_place else SUMMARIES:
            if self.staged_totals is not None:
                conn.execute(summary.add_up(self.staged_totals))
            conn.execute(f"DELETE FROM {summary.table} WHERE rader = 0")
        if self.sign > 0:
            if self.invoices_again:
                _write_rows(conn, _UPSERT_INVOICES, pl.concat(self.invoices_again).select(
                    *INVOICES.keys, "fakturanummer", "bokforingsdatum", "datum_precision", "ore", "konteringar",
                    "har_avtal", "forsta_kallrad", pl.lit(self.file_id)))
            if self.partials[FILE_BUYERS]:
                _write_rows(conn, "INSERT INTO kallfil_kopare VALUES (?, ?, ?)", FILE_BUYERS.combine(
                    self.partials[FILE_BUYERS]).select(pl.lit(self.file_id), "kopare_id", "rader"))
        else:
            conn.execute("DELETE FROM fakturor WHERE kallfil_id = ?", [self.file_id])
            conn.execute("DELETE FROM kallfil_kopare WHERE kallfil_id = ?", [self.file_id])
        refresh_references(conn, self.buyers, self.suppliers)


def staged_totals_tables() -> dict[str, str]:
    """The staging tables of every summary's partial totals (Staging's `also`)."""
    return {summary.staged_table: summary.create_staged() for summary in SUMMARIES}


def batch_of_rows(rows: list[tuple]) -> Batch:
    """A Batch of rows read back from the ledger (ROW_COLUMNS, then kallrad)."""
    frame = pl.DataFrame(rows, schema={name: ROW_SCHEMA[name] for name in (*ROW_COLUMNS, "kallrad")}, orient="row")
    return Batch(frame.with_columns(ore=(pl.col("nettobelopp") * 100).round(0).cast(pl.Int64)))


_REFRESH_SUPPLIERS = """INSERT INTO leverantorer (leverantor_id, leverantor, leverantor_id_typ,
        namnvarianter, forsta_datum, sista_datum, rader, summa)
    SELECT t.id,
        (SELECT leverantor FROM leverantorsnamn WHERE leverantor_id = t.id
         ORDER BY rader DESC, leverantor LIMIT 1),
        CASE WHEN t.id GLOB '[0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'
             THEN 'organisationsnummer' ELSE 'utlandskt_momsnummer' END,
        (SELECT group_concat(leverantor, ' | ') FROM (SELECT leverantor FROM leverantorsnamn
         WHERE leverantor_id = t.id ORDER BY rader DESC, leverantor)),
        {dates},
        (SELECT sum(rader) FROM kopare_leverantor_manad WHERE leverantor_nyckel = t.id),
        (SELECT round(sum(summa), 2) FROM kopare_leverantor_manad WHERE leverantor_nyckel = t.id)
    FROM temp.touched_suppliers t WHERE true
    ON CONFLICT DO UPDATE SET leverantor = excluded.leverantor,
        namnvarianter = excluded.namnvarianter, forsta_datum = excluded.forsta_datum,
        sista_datum = excluded.sista_datum, rader = excluded.rader, summa = excluded.summa"""

@dataclass(frozen=True)
class Facts:
    """Where the references read what only the ledger holds: a supplier's first and last booking
    date (of t.id), and a buyer's (:kopare) first day and the name and municipality of its latest
    rows that have them (SELECT of the three)."""

    supplier_dates: str
    buyer: str


# A buyer's latest row, in the order of the ledger's index on (kopare_id, bokforingsdatum,
# nettobelopp) and then id, so that it is found without sorting (ordered by date and id alone, a
# buyer's 500,000 rows of one month-dated day took 457 ms to sort, against 0.2 ms).
LATEST_ROW_ORDER = ("bokforingsdatum", "nettobelopp", "id")


def latest_row_with(column: str, ledger: str = "leverantorsreskontra", buyer: str = ":kopare") -> str:
    """The id of the buyer's latest row that has column: by booking date, then the largest amount,
    then the latest loaded."""
    return (f"SELECT id FROM {ledger} WHERE kopare_id = {buyer} AND {column} <> '' "
            f"ORDER BY {', '.join(f'{c} DESC' for c in LATEST_ROW_ORDER)} LIMIT 1")


FROM_LEDGER = Facts(
    """(SELECT min(bokforingsdatum) FROM leverantorsreskontra WHERE leverantor_nyckel = t.id),
        (SELECT max(bokforingsdatum) FROM leverantorsreskontra WHERE leverantor_nyckel = t.id)""",
    f"""SELECT (SELECT min(bokforingsdatum) FROM leverantorsreskontra WHERE kopare_id = :kopare),
        (SELECT kopare FROM leverantorsreskontra WHERE id = ({latest_row_with("kopare")})),
        (SELECT kommun_id FROM leverantorsreskontra WHERE id = ({latest_row_with("kommun_id")}))""")

_REFRESH_ACCOUNTS = """INSERT INTO konton (kopare_id, konto_nr, konto_text, rader, summa)
    SELECT kopare_id, konto_nr,
        (SELECT konto_text FROM kopare_konto_manad i WHERE i.kopare_id = o.kopare_id
         AND i.konto_nr = o.konto_nr GROUP BY konto_text ORDER BY sum(rader) DESC LIMIT 1),
        sum(rader), round(sum(summa), 2)
    FROM kopare_konto_manad o WHERE kopare_id IN (SELECT id FROM temp.touched_buyers)
    GROUP BY kopare_id, konto_nr"""


def refresh_references(conn: sqlite3.Connection, buyers: set[str], suppliers: set[str],
                       facts: Facts = FROM_LEDGER) -> None:
    """Recompute buyers, suppliers and accounts for the given keys from the totals, and what only
    the ledger holds from facts (of a database without one: as kept, scripts/national.py)."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched_buyers (id TEXT PRIMARY KEY)")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched_suppliers (id TEXT PRIMARY KEY)")
    conn.executemany("INSERT OR IGNORE INTO temp.touched_buyers VALUES (?)", [(b,) for b in buyers])
    conn.executemany("INSERT OR IGNORE INTO temp.touched_suppliers VALUES (?)", [(s,) for s in suppliers])
    conn.execute(_REFRESH_SUPPLIERS.format(dates=facts.supplier_dates))
    conn.execute("DELETE FROM leverantorer WHERE coalesce(rader, 0) = 0 "
                 "AND leverantor_id IN (SELECT id FROM temp.touched_suppliers)")
    conn.execute("DELETE FROM konton WHERE kopare_id IN (SELECT id FROM temp.touched_buyers)")
    conn.execute(_REFRESH_ACCOUNTS)
    _refresh_buyer_years(conn)
    for buyer in buyers:
        _refresh_buyer(conn, buyer, facts.buyer)
    conn.execute("DELETE FROM temp.touched_buyers")
    conn.execute("DELETE FROM temp.touched_suppliers")


def _refresh_buyer_years(conn: sqlite3.Connection) -> None:
    """Suppliers, invoices and the median invoice of the touched buyers' years (kopare_ar)."""
    conn.execute("DELETE FROM kopare_ar WHERE kopare_id IN (SELECT id FROM temp.touched_buyers)")
    years = conn.execute(
        """SELECT kopare_id, ar, count(*), (SELECT count(*) FROM fakturor f
             WHERE f.kopare_id = s.kopare_id AND f.ar = s.ar)
        FROM kopare_leverantor_ar s WHERE kopare_id IN (SELECT id FROM temp.touched_buyers)
        GROUP BY kopare_id, ar""").fetchall()
    for buyer, year, suppliers, invoices in years:
        median = conn.execute("SELECT summa FROM fakturor WHERE kopare_id = ? AND ar = ? "
                              "ORDER BY summa LIMIT 1 OFFSET ?", [buyer, year, (invoices - 1) // 2]
                              ).fetchone() if invoices else None
        conn.execute("INSERT INTO kopare_ar VALUES (?, ?, ?, ?, ?)",
                     [buyer, year, suppliers, invoices, median[0] if median else None])


def _refresh_buyer(conn: sqlite3.Connection, buyer: str, facts: str) -> None:
    rows, total = conn.execute(
        "SELECT sum(rader), round(sum(summa), 2) FROM kopare_manad WHERE kopare_id = ?",
        [buyer]).fetchone()
    if not rows:
        conn.execute("DELETE FROM kopare WHERE kopare_id = ?", [buyer])
        return
    span = {"kopare": buyer, "fran": "0000-01-01", "till": "9999-12-31"}
    first, name, municipality = conn.execute(facts, span).fetchone() or (None, None, None)
    last = conn.execute(LAST_COVERED_DAY, span).fetchone()[0]
    known = conn.execute("SELECT kopare, latitud, longitud FROM kopare WHERE kopare_id = ?",
                         [buyer]).fetchone()
    if known and known[0] == name and known[1] is not None:
        latitude, longitude = known[1], known[2]  # looked up when the buyer was first seen
    else:
        latitude, longitude = coordinates(name) or (None, None)
    kind = buyer_kind(buyer)
    popup = json.dumps({"title": name or buyer, "link": f"/inkop/kopare/{buyer}",
                        "description": f"{kind}: {swedish_number(total)} kr i {swedish_number(rows)} rader, "
                                       f"{first} – {last}"}, ensure_ascii=False)
    conn.execute(
        """INSERT INTO kopare (kopare_id, kopare, typ, kommun_id, forsta_datum, sista_datum, rader,
            summa, latitud, longitud, popup) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT DO UPDATE SET kopare = coalesce(excluded.kopare, kopare),
            kommun_id = coalesce(excluded.kommun_id, kommun_id), forsta_datum = excluded.forsta_datum,
            sista_datum = excluded.sista_datum, rader = excluded.rader, summa = excluded.summa,
            latitud = excluded.latitud, longitud = excluded.longitud, popup = excluded.popup""",
        [buyer, name, kind, municipality, first, last, rows, total, latitude, longitude, popup])
