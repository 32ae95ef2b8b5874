"""Reading a published file into normalised rows and rejections, with no database involved.

Shared by `openup load` (which writes what it reads) and `openup validate` (which reports it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from .columns import MANDATORY_COLUMNS
from .errors import FileRefused
from .identifiers import mask_personal_numbers
from .rawframes import RawBatch
from .profiles import Profile, internal_id_publishers
from .recognise import Recognised, recognise
from .records import Batch, BatchNormaliser, FileContext
from .register import public_bodies
from .sources import Source, open_source
from .values import period_from_file_name


@dataclass(frozen=True)
class ReadOptions:
    buyer_id: str | None = None
    buyer_name: str | None = None
    period: str | None = None
    profile: str | None = None


@dataclass
class Rejection:
    line: int
    where: int | str
    column: str
    reason: str
    content: str  # the line as published, personal numbers masked
    masked: int


DEFAULT_MAX_REJECTED_SHARE = 0.05
_QUOTED = re.compile(r"'[^']*'")  # the value in a reason, left out when reasons are counted
_CREDIT_NOTE = ("credit", "kredit", "kreditfaktura")


@dataclass
class Tally:
    """What reading a file came to: lines read (rows, rejected lines and empty lines), rejected
    (why, with examples), masked, and rows and amounts per currency."""

    read: int = 0
    rejected: int = 0
    empty: int = 0  # lines holding only delimiters or whitespace
    not_in_kronor: int = 0  # rejected for their currency: set aside, not unreadable
    masked: int = 0
    total_ore: int = 0  # sum of the amounts of the rows that were not rejected
    credits_positive: int = 0  # rows typed as credit notes whose amount is positive
    currencies: Counter = field(default_factory=Counter)  # (currency, "rader"|"ore") -> total
    reasons: Counter = field(default_factory=Counter)
    examples: list[Rejection] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.read - self.rejected - self.empty

    def count(self, batch: ReadBatch) -> None:
        rows = batch.rows.frame
        self.read += rows.height + len(batch.rejections) + batch.empty
        self.empty += batch.empty
        masked, total, credits = rows.select(
            pl.col("maskerad").sum(), pl.col("ore").sum(),
            credits=((pl.col("ore") > 0) & pl.col("faktura_typ").str.to_lowercase().is_in(_CREDIT_NOTE)).sum()).row(0)
        self.masked += masked or 0
        self.total_ore += total or 0
        self.credits_positive += credits or 0
        self.currencies.update(batch.rows.currencies)
        for rejection in batch.rejections:
            self.rejected += 1
            self.not_in_kronor += rejection.column == "valuta"
            self.masked += rejection.masked > 0
            self.reasons[(rejection.column, _QUOTED.sub("'…'", rejection.reason.split(":")[0]))] += 1
            if len(self.examples) < 20:
                self.examples.append(rejection)

    def refusal(self, path: Path, max_share: float) -> FileRefused | None:
        """Why the file as a whole must be refused, if it must."""
        lines = self.read - self.empty
        if lines == 0:
            return FileRefused(str(path), "filen har en rubrikrad men inga datarader")
        unreadable = self.rejected - self.not_in_kronor
        share = unreadable / lines
        if share <= max_share:
            return None
        examples = "; ".join(
            f"{r.where}" + (f", kolumn {r.column}" if r.column else "") + f": {r.reason}"
            for r in self.examples[:3] if r.column != "valuta")
        return FileRefused(str(path), f"{unreadable} av {lines} rader ({share:.0%}) "
                           f"kunde inte läsas, över gränsen {max_share:.0%}. Till exempel {examples}")


@dataclass
class ReadBatch:
    rows: Batch
    rejections: list[Rejection]
    empty: int = 0  # lines holding only delimiters or whitespace, before and among these


@dataclass
class LedgerReading:
    source: Source
    recognised: Recognised
    context: FileContext
    missing_columns: list[str]
    normaliser: BatchNormaliser

    @property
    def profile(self) -> Profile:
        return self.recognised.profile

    @property
    def unknown_columns(self) -> list[str]:
        return self.recognised.columns.unknown

    @property
    def bad_buyer_ids(self) -> list[dict]:
        """Buyer numbers in the file that fail their check digit: as published, on how many
        rows, and the register's number for the buyer's name (then the rows load under it)."""
        normaliser = self.normaliser
        return [{"kopare_id": given.strip(), "kopare": name.strip(), "rader": normaliser.bad_buyer_id_rows[given, name],
                 "registrets_kopare_id": normaliser.bad_buyer_ids[given, name]}
                for given, name in normaliser.bad_buyer_ids]

    def batches(self) -> Iterator[ReadBatch]:
        """Every data line after the header, normalised or rejected, a batch at a time."""
        candidate = self.recognised.candidate
        for raw in candidate.frames(self.recognised.header_location, len(self.recognised.columns.header)):
            yield self._batch(raw, candidate)

    def _batch(self, raw: RawBatch, candidate) -> ReadBatch:
        batch = self.normaliser(raw)
        rejections = []
        for line, published, column, reason in batch.rejected:
            content, masked = mask_personal_numbers(published)
            rejections.append(Rejection(line, candidate.where(line), column, reason, content, masked))
        return ReadBatch(batch, rejections, raw.empty)


def read_ledger(path: Path, profiles: dict[str, Profile], options: ReadOptions) -> LedgerReading:
    """Open path, recognise its profile and prepare its rows; FileRefused if it can't be."""
    source = open_source(path)
    recognised = recognise(source, profiles, profiles[options.profile] if options.profile else None)
    positions = recognised.columns.positions
    has_date = "bokforingsdatum" in positions
    period = None if has_date else (options.period or period_from_file_name(path.name))
    if not has_date and period is None:
        raise FileRefused(str(path), "filen saknar datumkolumn och filnamnet ingen månad: lägg till "
                                     "kolumnen bokforingsdatum, eller ange månaden vid inläsning "
                                     "(--period ÅÅÅÅ-MM)")
    publisher = {} if options.buyer_id else recognised.profile.buyer
    context = FileContext(options.buyer_id or publisher.get("id"),
                          options.buyer_name or publisher.get("name"), period,
                          publisher.get("kommun_id"), internal_id_publishers(profiles),
                          recognised.profile.month_on_first)
    if "kopare_id" not in positions and "kopare" not in positions and not context.buyer_id:
        raise FileRefused(str(path), "filen anger ingen köpare: lägg till kolumnerna kopare_id och kopare, "
                                     "eller ange köparen vid inläsning (--buyer ORGNR --buyer-name NAMN)")
    supplied = {"kopare_id": context.buyer_id, "kopare": context.buyer_name,
                "bokforingsdatum": period}
    missing = [c for c in MANDATORY_COLUMNS if c not in positions and not supplied.get(c)]
    joiner = recognised.candidate.label if source.format == "csv" else ";"
    normaliser = BatchNormaliser(recognised.columns, context, public_bodies(), joiner)
    return LedgerReading(source, recognised, context, missing, normaliser)
