"""Reading a published file into normalised rows and rejections, with no database involved.

Shared by `openup load` (which writes what it reads) and `openup validate` (which reports it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import FileRefused
from .identifiers import mask_personal_numbers
from .profiles import MANDATORY_COLUMNS, Profile
from .recognise import Recognised, recognise
from .records import Batch, BatchNormaliser, FileContext
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
BATCH_LINES = 500  # small enough to stay in the CPU cache across column passes
_QUOTED = re.compile(r"'[^']*'")  # the value in a reason, left out when reasons are counted


@dataclass
class Tally:
    """What reading a file came to: lines read, rejected (why, with examples) and masked."""

    read: int = 0
    rejected: int = 0
    masked: int = 0
    total_ore: int = 0  # sum of the amounts of the rows that were not rejected
    reasons: Counter = field(default_factory=Counter)
    examples: list[Rejection] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.read - self.rejected

    def count(self, batch: ReadBatch) -> None:
        self.read += len(batch.rows.lines) + len(batch.rejections)
        self.masked += sum(batch.rows.column("maskerad"))
        self.total_ore += sum(batch.rows.ore)
        for rejection in batch.rejections:
            self.rejected += 1
            self.masked += rejection.masked > 0
            self.reasons[(rejection.column, _QUOTED.sub("'…'", rejection.reason.split(":")[0]))] += 1
            if len(self.examples) < 20:
                self.examples.append(rejection)

    def refusal(self, path: Path, max_share: float) -> FileRefused | None:
        """Why the file as a whole must be refused, if it must."""
        if self.read == 0:
            return FileRefused(str(path), "filen har en rubrikrad men inga datarader")
        share = self.rejected / self.read
        if share <= max_share:
            return None
        examples = "; ".join(
            f"{r.where}" + (f", kolumn {r.column}" if r.column else "") + f": {r.reason}"
            for r in self.examples[:3])
        return FileRefused(str(path), f"{self.rejected} av {self.read} rader ({share:.0%}) "
                           f"kunde inte läsas, över gränsen {max_share:.0%}. Till exempel {examples}")


@dataclass
class ReadBatch:
    rows: Batch
    rejections: list[Rejection]


@dataclass
class LedgerReading:
    source: Source
    recognised: Recognised
    context: FileContext
    missing_columns: list[str]

    @property
    def profile(self) -> Profile:
        return self.recognised.match.profile

    @property
    def unknown_columns(self) -> list[str]:
        return self.recognised.match.unknown

    def batches(self) -> Iterator[ReadBatch]:
        """Every data line after the header, normalised or rejected, a batch at a time."""
        normalise = BatchNormaliser(self.recognised.match, self.context)
        candidate = self.recognised.candidate
        header_at = self.recognised.header_location
        joiner = candidate.label if self.source.format == "csv" else ";"
        lines: list[int] = []
        fields: list[list[str]] = []
        rows = candidate.rows()
        for location, _ in rows:
            if location >= header_at:
                break
        for location, values in rows:
            lines.append(location)
            fields.append(values)
            if len(lines) == BATCH_LINES:
                yield self._batch(normalise, lines, fields, candidate, joiner)
                lines, fields = [], []
        if lines:
            yield self._batch(normalise, lines, fields, candidate, joiner)

    @staticmethod
    def _batch(normalise, lines, fields, candidate, joiner) -> ReadBatch:
        batch = normalise(lines, fields)
        rejections = []
        for line, values, column, reason in batch.rejected:
            content, masked = mask_personal_numbers(joiner.join(values))
            rejections.append(Rejection(line, candidate.where(line), column, reason, content, masked))
        return ReadBatch(batch, rejections)


def read_ledger(path: Path, profiles: dict[str, Profile], options: ReadOptions) -> LedgerReading:
    """Open path, recognise its profile and prepare its rows; FileRefused if it can't be."""
    source = open_source(path)
    recognised = recognise(source, profiles)
    positions = recognised.match.positions
    has_date = "bokforingsdatum" in positions
    period = None if has_date else (options.period or period_from_file_name(path.name))
    if not has_date and period is None:
        raise FileRefused(str(path), "filen saknar datumkolumn och filnamnet ingen månad: "
                                     "ange --period ÅÅÅÅ-MM")
    publisher = {} if options.buyer_id else recognised.match.profile.buyer
    context = FileContext(options.buyer_id or publisher.get("id"),
                          options.buyer_name or publisher.get("name"), period,
                          publisher.get("kommun_id"))
    if "kopare_id" not in positions and "kopare" not in positions and not context.buyer_id:
        raise FileRefused(str(path), "filen anger ingen köpare: ange --buyer ORGNR --buyer-name NAMN")
    supplied = {"kopare_id": context.buyer_id, "kopare": context.buyer_name,
                "bokforingsdatum": period}
    missing = [c for c in MANDATORY_COLUMNS if c not in positions and not supplied.get(c)]
    return LedgerReading(source, recognised, context, missing)
