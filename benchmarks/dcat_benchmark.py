"""The DCAT catalog of a large instance: 300 buyers x 10 years = 3,000 datasets.

Loads a generated national-spec CSV with `openup load`, then times /datasets/dcat (RDF/XML,
the harvested form) cold (graph built from the database) and warm (served from the cache),
and the Turtle and JSON-LD forms, through the real Datasette app. Goal: cold under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openup.columns import SPEC_COLUMNS
from openup.synthetic import synthetic_municipality_orgnr
from openup_plugins import dcat
from openup_plugins.instance import make_datasette

GOAL_SECONDS = 2.0


def write_csv(path: Path, buyers: int, years: int, rows_per_year: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(SPEC_COLUMNS)
        for b in range(buyers):
            orgnr = synthetic_municipality_orgnr(b)
            for year in range(2014, 2014 + years):
                for n in range(rows_per_year):
                    writer.writerow((orgnr, f"Kommun {b}", f"{year}{n}", f"Leverantör {n} AB", "",
                                     "6420", "Konsulttjänster", f"{year}-{1 + n % 12:02d}-15",
                                     "Nämnd", f"F{year}{n}", "1000.00", "", "", "", ""))


async def measure(database: Path) -> list[tuple[str, float]]:
    datasette = make_datasette([database])
    dcat._cache.clear()
    timings = []
    for label, path in (("RDF/XML, cold (graph built)", "/datasets/dcat"),
                        ("RDF/XML, warm (cached)", "/datasets/dcat"),
                        ("Turtle (graph cached)", "/datasets/dcat.ttl"),
                        ("JSON-LD (graph cached)", "/datasets/dcat.jsonld")):
        started = time.perf_counter()
        response = await datasette.client.get(path)
        timings.append((label, time.perf_counter() - started))
        assert response.status_code == 200
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyers", type=int, default=300)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source, database = Path(tmp) / "ledger.csv", Path(tmp) / "openup.db"
        write_csv(source, args.buyers, args.years, rows_per_year=12)
        openup = Path(sys.executable).parent / "openup"
        subprocess.run([str(openup), "load", "--db", str(database), str(source)], check=True,
                       stdout=subprocess.DEVNULL)
        print(f"{args.buyers} buyers x {args.years} years = {args.buyers * args.years} datasets")
        for label, seconds in asyncio.run(measure(database)):
            print(f"{label:<32} {seconds:6.2f} s")
        print(f"goal: cold under {GOAL_SECONDS} s")


if __name__ == "__main__":
    main()
