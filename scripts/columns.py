"""Recognising a file's columns one by one, from one table of every name publishers use.

A header is read cell by cell: each cell is looked up in the alias table (kolumner.toml),
ignoring case, accents, a byte order mark, spaces and punctuation. A cell that names no column
is reported by name; none is dropped silently because another publisher spells it otherwise.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from . import identifiers as ids

# The national specification v1.1's columns, in its order: a published table starts with them.
SPEC_COLUMNS = (
    "kopare_id", "kopare", "verifikationsnummer", "leverantor", "leverantor_id", "konto_nr",
    "konto_text", "bokforingsdatum", "forvaltning", "fakturanummer", "nettobelopp", "grund",
    "avtal", "kommun_id", "s_kod_nr",
)
# What the files Open Up publishes have (exports, the catalog's CSV, the validator's conversion):
# the specification's columns, then whether each date is a day or only a month ('dag', 'manad').
# A month-only row is dated on the 1st, so without it a reloaded file would read it as that day.
PUBLISHED_COLUMNS = (*SPEC_COLUMNS, "datum_precision")
# Columns read besides the specification's: the currency, the kind of invoice and the precision
# of the date (as Open Up publishes it).
TARGET_COLUMNS = (*SPEC_COLUMNS, "valuta", "faktura_typ", "datum_precision")
# The specification's mandatory columns (v1.1: the first nine) and the amount.
MANDATORY_COLUMNS = SPEC_COLUMNS[:9] + ("nettobelopp",)

_NOT_LETTERS_OR_DIGITS = re.compile(r"[^0-9a-z*]")


def fold(name: str) -> str:
    """A header cell as compared: 'Leverantör ', 'LEVERANTOR' and '\\ufeffleverantor' alike."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return _NOT_LETTERS_OR_DIGITS.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)))


def shown(cell: str) -> str:
    """A header cell as printed in messages: without invisible characters or padding."""
    return "".join(c for c in cell if unicodedata.category(c) not in ("Cf", "Cc")).strip()


@dataclass(frozen=True)
class AliasTable:
    exact: dict[str, str]  # folded name -> target column
    prefixes: tuple[tuple[str, str], ...]  # (folded start, target column)
    by_values: dict[str, dict[str, str]]  # folded name -> {value kind: target column}

    def target(self, cell: str) -> str | None:
        name = fold(cell)
        if name in self.exact:
            return self.exact[name]
        return next((target for start, target in self.prefixes if name.startswith(start)), None)


def parse_alias_table(text: str) -> AliasTable:
    """The alias table from its TOML; ValueError where a name means two columns undeclared."""
    data = tomllib.loads(text)
    unknown = set(data["columns"]) - set(TARGET_COLUMNS)
    if unknown:
        raise ValueError(f"kolumner.toml: unknown columns {sorted(unknown)}")
    exact: dict[str, str] = {}
    prefixes: list[tuple[str, str]] = []
    for target, names in data["columns"].items():
        for name in names:
            folded = fold(name)
            if folded.endswith("*"):
                prefixes.append((folded[:-1], target))
            elif exact.setdefault(folded, target) != target:
                raise ValueError(f"kolumner.toml: {name!r} stands under {exact[folded]} and {target}")
    by_values = {fold(name): choices for name, choices in data.get("by_values", {}).items()}
    for name in by_values:
        if name not in exact:
            raise ValueError(f"kolumner.toml: [by_values] {name!r} is not a column name")
    return AliasTable(exact, tuple(prefixes), by_values)


@cache
def alias_table() -> AliasTable:
    return parse_alias_table((resources.files("openup") / "kolumner.toml").read_text("utf-8"))


@dataclass
class ColumnMap:
    """Which header cell holds which column, and the cells that hold none."""

    header: list[str]
    positions: dict[str, int] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)  # cells as shown, with why where not obvious

    @property
    def loadable(self) -> bool:
        """An amount and a supplier: without them a row is no ledger row."""
        return "nettobelopp" in self.positions and (
            "leverantor" in self.positions or "leverantor_id" in self.positions)

    @property
    def folded_header(self) -> set[str]:
        return {fold(c) for c in self.header if fold(c)}


def _kind_of_values(values: Sequence[str]) -> str | None:
    """'organisationsnummer' when most of a sample's filled values are organisation numbers."""
    filled = [v for v in values if v.strip()]
    numbers = sum(ids.classify_supplier_id(v)[0] == ids.ORGANISATIONSNUMMER for v in filled)
    return ids.ORGANISATIONSNUMMER if filled and numbers * 2 > len(filled) else None


def map_columns(header: list[str], sample: Sequence[list[str]] = ()) -> ColumnMap:
    """Map each header cell to its column; sample (the first data rows) decides declared clashes."""
    table = alias_table()
    found = ColumnMap(header)
    for index, cell in enumerate(header):
        if not fold(cell):
            continue
        target = table.target(cell)
        choices = table.by_values.get(fold(cell))
        if choices:
            kind = _kind_of_values([row[index] for row in sample if index < len(row)])
            target = choices.get(kind, target)
        if target is None:
            found.unknown.append(shown(cell))
        elif target in found.positions:
            taken = shown(header[found.positions[target]])
            found.unknown.append(f"{shown(cell)} (samma kolumn som {taken}, som läses)")
        else:
            found.positions[target] = index
    return found
