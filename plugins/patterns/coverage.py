"""How much of its calendar years a total covers: the months in which its buyers published rows.

A yearly total of three published months is not a year's spending; every total on the /inkop
pages says "3 av 12 månader" and which months are missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache


from ..ledger import once_per_version


async def buyer_months(database) -> dict[tuple[str, int], set[str]]:
    """The months with rows of every buyer and year (kopare_manad: buyers times months, small)."""
    async def compute():
        months: dict[tuple[str, int], set[str]] = {}
        for kopare_id, ar, manad in (await database.execute(
                "SELECT kopare_id, ar, manad FROM kopare_manad")).rows:
            months.setdefault((kopare_id, ar), set()).add(manad)
        return months
    return await once_per_version(database, "buyer-months", compute)


def years_between(years: Iterable[int]) -> list[int]:
    """Every calendar year from the first to the last of years."""
    years = list(years)
    return list(range(min(years), max(years) + 1)) if years else []


@lru_cache(maxsize=1024)
def _months_of(years: tuple[int, ...]) -> tuple[str, ...]:
    return tuple(f"{year}-{month:02d}" for year in years for month in range(1, 13))


def coverage(months: dict[tuple[str, int], set[str]], buyers: Iterable[str], years: list[int]) -> dict:
    """manader: months of the years in which one of the buyers has rows; av_manader: the years'
    months; saknade_manader: the others (YYYY-MM). Asked for each of a page's hundreds of rows."""
    every = _months_of(tuple(years))
    have = set().union(*(months.get((b, year), ()) for b in buyers for year in years))
    return {"manader": len(have), "av_manader": len(every),
            "saknade_manader": [m for m in every if m not in have]}


def in_rows(covered: dict) -> dict:
    """The counts alone, for a row of a table (the missing months are named on totals)."""
    return {"manader": covered["manader"], "av_manader": covered["av_manader"]}
