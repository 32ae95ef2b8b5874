"""Source profiles: how a publisher's header maps to the national specification's columns.

A profile is data (one TOML file per profile in profiles/); this module loads them and finds
the profile a header fits.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from importlib import resources

# The national specification v1.1's columns, in its order: a published table starts with them.
SPEC_COLUMNS = (
    "kopare_id", "kopare", "verifikationsnummer", "leverantor", "leverantor_id", "konto_nr",
    "konto_text", "bokforingsdatum", "forvaltning", "fakturanummer", "nettobelopp", "grund",
    "avtal", "kommun_id", "s_kod_nr",
)
# Columns a profile may map to: the specification's, and the currency.
TARGET_COLUMNS = (*SPEC_COLUMNS, "valuta")
# The specification's mandatory columns (v1.1: the first nine) and the amount.
MANDATORY_COLUMNS = TARGET_COLUMNS[:9] + ("nettobelopp",)


def normalise_header(text: str) -> str:
    """Header cell as compared: no BOM, no padding, case and inner spaces folded."""
    return " ".join(text.replace("\ufeff", "").split()).casefold()


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    ignored: frozenset[str] = frozenset()
    internal_supplier_ids: bool = False
    buyer: dict[str, str] = field(default_factory=dict)  # id, name, kommun_id of the publisher

    def target_for(self, header: str) -> str | None:
        for target, aliases in self.columns.items():
            for alias in aliases:
                if alias.endswith("*") and header.startswith(alias[:-1]) or header == alias:
                    return target
        return None


@dataclass
class HeaderMatch:
    """How one header fits one profile."""

    profile: Profile
    header: list[str]
    positions: dict[str, int] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return not self.missing_required

    publisher_matches: bool = False  # the first data row names the profile's publisher

    def rank(self) -> tuple[int, int, int, int]:
        return (int(self.fits), len(self.positions), int(self.publisher_matches), -len(self.unknown))


def _load(text: str) -> Profile:
    data = tomllib.loads(text)
    columns = {
        target: tuple(normalise_header(a) for a in aliases)
        for target, aliases in data["columns"].items()
    }
    unknown_targets = set(columns) - set(TARGET_COLUMNS)
    if unknown_targets:
        raise ValueError(f"profile {data['name']}: unknown columns {sorted(unknown_targets)}")
    return Profile(
        name=data["name"],
        title=data["title"],
        columns=columns,
        required=tuple(data["required"]),
        ignored=frozenset(normalise_header(h) for h in data.get("ignored", ())),
        internal_supplier_ids=data.get("internal_supplier_ids", False),
        buyer=data.get("buyer", {}),
    )


def builtin_profiles() -> dict[str, Profile]:
    folder = resources.files("openup") / "profiles"
    profiles = [_load(f.read_text("utf-8")) for f in folder.iterdir() if f.name.endswith(".toml")]
    return {p.name: p for p in sorted(profiles, key=lambda p: p.name)}


def match_header(profile: Profile, header: list[str]) -> HeaderMatch:
    match = HeaderMatch(profile, header)
    for index, cell in enumerate(header):
        name = normalise_header(cell)
        if not name or name in profile.ignored:
            continue
        target = profile.target_for(name)
        if target is None:
            match.unknown.append(cell.strip())
        elif target not in match.positions:
            match.positions[target] = index
    match.missing_required = [c for c in profile.required if c not in match.positions]
    return match


def best_matches(profiles: dict[str, Profile], header: list[str],
                 first_row: list[str] | None = None) -> list[HeaderMatch]:
    """Every profile's match for header, best first. Between profiles that fit a header
    equally, one whose publisher the first data row names as buyer wins."""
    matches = [match_header(p, header) for p in profiles.values()]
    for match in matches:
        buyer_at = match.positions.get("kopare_id")
        publisher = match.profile.buyer.get("id", "")
        if first_row and buyer_at is not None and buyer_at < len(first_row) and publisher:
            given = first_row[buyer_at].replace("-", "").strip()
            match.publisher_matches = given == publisher.replace("-", "")
    return sorted(matches, key=HeaderMatch.rank, reverse=True)


def closest_profile_names(profiles: dict[str, Profile], header: list[str]) -> list[str]:
    """Profiles ranked by how much of their vocabulary the header uses, for error messages."""
    cells = [normalise_header(c) for c in header]

    def similarity(profile: Profile) -> float:
        aliases = [a.rstrip("*") for aliases in profile.columns.values() for a in aliases]
        return sum(max((difflib.SequenceMatcher(None, c, a).ratio() for a in aliases), default=0)
                   for c in cells if c)

    return [p.name for p in sorted(profiles.values(), key=similarity, reverse=True)[:3]]
