"""What the catalog describes, read from the published database: one dataset per buyer and
calendar year, with its time span, and the catalog's own dates."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from openup.periods import FIRST_COVERED_DAY, LAST_COVERED_DAY
from openup.shards import read_year_databases

PUBLISHER_TYPES = {  # buyer type (kopare.typ) -> ADMS publisher type
    "kommun": "LocalAuthority",
    "region": "RegionalAuthority",
    "statlig myndighet": "NationalAuthority",
}
DEFAULT_PUBLISHER_TYPE = "NationalAuthority"


@dataclass(frozen=True)
class BuyerYear:
    orgnr: str
    name: str
    kind: str
    year: int
    start: str  # first booking date in the data, and the last day it covers (openup.periods)
    end: str
    rows: int
    license: str | None  # the buyer's own licence, when known

    @property
    def publisher_type(self) -> str:
        return PUBLISHER_TYPES.get(self.kind, DEFAULT_PUBLISHER_TYPE)


@dataclass(frozen=True)
class CatalogFacts:
    database: str
    datasets: list[BuyerYear]
    first_loaded: str | None
    last_loaded: str | None
    year_databases: dict[int, str] = field(default_factory=dict)  # where each year's rows are (openup shard)

    def rows_database(self, year: int) -> str:
        return self.year_databases.get(year, self.database)


def read_facts(conn: sqlite3.Connection, database: str) -> CatalogFacts:
    buyer_years = conn.execute(
        "SELECT s.kopare_id, k.kopare, k.typ, s.ar, sum(s.rader), k.licens FROM kopare_leverantor_manad s "
        "JOIN kopare k ON k.kopare_id = s.kopare_id GROUP BY s.kopare_id, s.ar "
        "ORDER BY s.kopare_id, s.ar").fetchall()
    datasets = []
    for orgnr, name, kind, year, rows, license_url in buyer_years:
        span = {"kopare": orgnr, "fran": f"{year}-01-01", "till": f"{year}-12-31"}
        start = conn.execute(FIRST_COVERED_DAY, span).fetchone()[0]
        end = conn.execute(LAST_COVERED_DAY, span).fetchone()[0]
        datasets.append(BuyerYear(orgnr, name or orgnr, kind or "", year, start, end, rows, license_url))
    first, last = conn.execute("SELECT min(inlast), max(inlast) FROM kallfiler").fetchone()
    return CatalogFacts(database, datasets, first, last, read_year_databases(conn))
