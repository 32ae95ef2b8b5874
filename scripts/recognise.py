"""Finding the ledger in a file: which candidate table, which header row, which profile."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from .errors import FileRefused
from .profiles import HeaderMatch, Profile, best_matches, closest_profile_names
from .sources import Candidate, Source

HEADER_SEARCH_ROWS = 30  # title rows above the header in spreadsheets


@dataclass
class Recognised:
    candidate: Candidate
    header_location: int
    match: HeaderMatch


def recognise(source: Source, profiles: dict[str, Profile]) -> Recognised:
    """The best fitting (candidate, header row, profile) of source, or FileRefused."""
    best: Recognised | None = None
    nearest: tuple[Candidate, list[str]] | None = None
    first_error: FileRefused | None = None
    for candidate in source.candidates:
        try:
            head = list(islice(candidate.rows(), HEADER_SEARCH_ROWS))
        except FileRefused as error:
            first_error = first_error or error
            continue
        for index, (location, cells) in enumerate(head):
            if sum(1 for c in cells if c.strip()) < 2:
                continue
            if nearest is None or len(cells) > len(nearest[1]):
                nearest = (candidate, cells)
            first_row = head[index + 1][1] if index + 1 < len(head) else None
            match = best_matches(profiles, cells, first_row)[0]
            if match.fits:
                if best is None or match.rank() > best.match.rank():
                    best = Recognised(candidate, location, match)
                break
    if best is not None:
        return best
    if nearest is None:
        if first_error is not None:
            raise first_error
        raise FileRefused(str(source.path), "ingen rubrikrad hittades: filen har högst en kolumn "
                          "(fel avgränsare? väntade ; , eller tabb)", line=1)
    raise _no_profile(source, profiles, *nearest)


def _no_profile(source: Source, profiles: dict[str, Profile], candidate: Candidate,
                header: list[str]) -> FileRefused:
    closest = closest_profile_names(profiles, header)
    match = next(m for m in best_matches(profiles, header) if m.profile.name == closest[0])
    unmapped = ", ".join(match.unknown) or "inga"
    missing = ", ".join(match.missing_required)
    return FileRefused(
        str(source.path),
        f"rubrikraden passar ingen källprofil. Kolumner som inte kunde mappas: {unmapped}. "
        f"Närmaste profiler: {', '.join(closest)} (i {closest[0]} saknas: {missing}). "
        "Ange --profile NAMN eller lägg till en profil.",
        line=1,
    )
