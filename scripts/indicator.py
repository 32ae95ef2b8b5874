"""The shape every indicator has (as in OCP's Cardinal): its documentation, its parameters with
defaults, and one SQL query a journalist can read, run over the summary tables built at load."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


class BadParameter(ValueError):
    """A parameter the caller must correct (answered with 400)."""


@dataclass(frozen=True)
class Parameter:
    name: str
    default: float | str
    description: str  # Swedish
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def parse(self, text: str | None) -> float | str:
        if text is None or text == "":
            return self.default
        if self.choices:
            if text not in self.choices:
                raise BadParameter(f"{self.name} ska vara en av {', '.join(self.choices)}")
            return text
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            raise BadParameter(f"{self.name} ska vara ett tal, inte {text!r}") from None
        if not math.isfinite(value):
            raise BadParameter(f"{self.name} ska vara ett ändligt tal, inte {text!r}")
        if (self.minimum is not None and value < self.minimum) or (
                self.maximum is not None and value > self.maximum):
            raise BadParameter(f"{self.name} ska ligga mellan {self.minimum:g} och {self.maximum:g}")
        return value


@dataclass(frozen=True)
class Indicator:
    slug: str
    title: str
    flags: str  # what it flags, in one sentence
    method: str
    example: str
    why: str
    source: str
    output: str
    caveats: str
    sql: str  # named parameters: :kopare, :ar, and the indicator's own
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)
    rows_behind: str = "supplier_year"  # how a hit links to the ledger rows behind it
    lists: tuple[str, ...] = ()  # columns the SQL gives as JSON arrays (json_group_array)
    yearly: bool = True  # every hit is of one year (column ar), so a year filter can pick hits
    # The buyers' years it cannot assess and never flags: kopare_id, kopare, ar and skal (why).
    not_assessed: str = ""
    ranked_by: str = "summa"  # the column its hits are ordered by, largest first
    per_buyer: bool = True  # a buyer's hits depend on that buyer's rows alone

    def arguments(self, query: dict[str, str]) -> dict[str, float | str]:
        return {p.name: p.parse(query.get(p.name)) for p in self.parameters}
