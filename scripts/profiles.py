"""Source profiles: what is particular to a publisher, beyond the columns its files have.

Columns are recognised one by one (columns.py); a profile names a publisher's layout (the
header it publishes, so a load records which layout a file had), the publisher's identity (for
files that do not name the buyer) and its rules, which apply to the rows whose buyer it is, in
any file. Profiles are data: one TOML file each in profiles/.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from importlib import resources

from .columns import ColumnMap, fold

# A file whose header is no profile's layout: its columns were recognised one by one.
COLUMN_BY_COLUMN = "kolumnvis"


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    header: tuple[tuple[str, ...], ...]  # the layout's header cells as published, each with its variants
    internal_supplier_ids: bool = False  # the publisher's supplier ids are its own numbers
    month_on_first: bool = False  # the layout dates a month-only row on the 1st of the month
    buyer: dict[str, str] = field(default_factory=dict)  # id, name, kommun_id of the publisher

    def is_layout_of(self, cells: set[str]) -> bool:
        """Whether folded header cells have every cell of this layout (a name ending in *
        stands for any cell that starts with it)."""
        return bool(self.header) and all(any(_has(cells, fold(v)) for v in variants)
                                         for variants in self.header)


def _has(cells: set[str], name: str) -> bool:
    if name.endswith("*"):
        return any(c.startswith(name[:-1]) for c in cells)
    return name in cells


GENERIC = Profile(COLUMN_BY_COLUMN, "Kolumnerna igenkända en och en", ())


def _load(text: str) -> Profile:
    data = tomllib.loads(text)
    return Profile(
        name=data["name"],
        title=data["title"],
        header=tuple((c,) if isinstance(c, str) else tuple(c) for c in data["header"]),
        internal_supplier_ids=data.get("internal_supplier_ids", False),
        month_on_first=data.get("month_on_first", False),
        buyer=data.get("buyer", {}),
    )


def builtin_profiles() -> dict[str, Profile]:
    folder = resources.files("openup") / "profiles"
    profiles = [_load(f.read_text("utf-8")) for f in folder.iterdir() if f.name.endswith(".toml")]
    return {p.name: p for p in sorted(profiles, key=lambda p: p.name)}


def internal_id_publishers(profiles: dict[str, Profile]) -> frozenset[str]:
    """The buyers whose supplier ids are their own numbers, wherever their rows appear."""
    return frozenset(p.buyer["id"] for p in profiles.values()
                     if p.internal_supplier_ids and p.buyer.get("id"))


def layout_of(columns: ColumnMap, profiles: dict[str, Profile]) -> Profile:
    """The profile whose whole header the file has (the fullest such), else GENERIC."""
    cells = columns.folded_header
    fitting = [p for p in profiles.values() if p.is_layout_of(cells)]
    return max(fitting, key=lambda p: len(p.header), default=GENERIC)


def closest_profile_names(profiles: dict[str, Profile], header: list[str]) -> list[str]:
    """Profiles ranked by how much of their header the file's header resembles, for messages."""
    cells = [fold(c) for c in header]

    def similarity(profile: Profile) -> float:
        names = [fold(v).rstrip("*") for variants in profile.header for v in variants]
        return sum(max((difflib.SequenceMatcher(None, c, a).ratio() for a in names), default=0)
                   for c in cells if c)

    return [p.name for p in sorted(profiles.values(), key=similarity, reverse=True)[:3]]
