"""Finding the ledger in a file: which candidate table, which header row, which columns."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from .columns import ColumnMap, map_columns
from .errors import FileRefused
from .profiles import Profile, closest_profile_names, layout_of
from .sources import Candidate, Source

HEADER_SEARCH_ROWS = 30  # title rows above the header in spreadsheets


@dataclass
class Recognised:
    candidate: Candidate
    header_location: int
    columns: ColumnMap
    profile: Profile


def _rank(columns: ColumnMap) -> tuple[int, int]:
    return len(columns.positions), -len(columns.unknown)


def recognise(source: Source, profiles: dict[str, Profile], forced: Profile | None = None) -> Recognised:
    """The candidate table and header row whose columns make a ledger, or FileRefused.

    The header is the first row (of at most HEADER_SEARCH_ROWS) with an amount and a supplier
    column; between candidate tables (delimiters, sheets) the one recognising most columns wins."""
    best: tuple[Candidate, int, ColumnMap] | None = None
    nearest: ColumnMap | None = None
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
            columns = map_columns(cells, [row for _, row in head[index + 1:]])
            if nearest is None or _rank(columns) > _rank(nearest):
                nearest = columns
            if columns.loadable:
                if best is None or _rank(columns) > _rank(best[2]):
                    best = (candidate, location, columns)
                break
    if best is not None:
        candidate, location, columns = best
        return Recognised(candidate, location, columns, forced or layout_of(columns, profiles))
    if nearest is None:
        if first_error is not None:
            raise first_error
        raise FileRefused(str(source.path), "ingen rubrikrad hittades: filen har högst en kolumn "
                          "(fel avgränsare? väntade ; , eller tabb)", line=1)
    raise _not_a_ledger(source, profiles, nearest)


def _not_a_ledger(source: Source, profiles: dict[str, Profile], columns: ColumnMap) -> FileRefused:
    missing = [] if "nettobelopp" in columns.positions else ["belopp (nettobelopp)"]
    if "leverantor" not in columns.positions and "leverantor_id" not in columns.positions:
        missing.append("leverantör (leverantor eller leverantor_id)")
    unmapped = ", ".join(columns.unknown) or "inga"
    return FileRefused(
        str(source.path),
        f"rubrikraden saknar {' och '.join(missing)}. Kolumner som inte kunde mappas: {unmapped}. "
        f"Närmaste profiler: {', '.join(closest_profile_names(profiles, columns.header))}. "
        "Lägg till rubriken i scripts/kolumner.toml om den betyder en känd kolumn.",
        line=1,
    )
