"""Server time of the instance's pages and canned queries on a large database.

Builds (once, cached in benchmarks/out/) a database of --rows national-spec rows with
`openup load`, then requests each page and canned query --repeat times through the real
Datasette app in-process and prints p50 and p95 in milliseconds, against the goals: every page
p95 <= 200 ms, every canned query under a quarter of the SQL time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml
from load_benchmark import write_national_csv
from openup.schema import SCHEMA_VERSION
from openup_plugins.instance import METADATA, SQL_TIME_LIMIT_MS, make_datasette

OUT = Path(__file__).parent / "out"
PAGE_GOAL_MS = 200
QUERY_GOAL_MS = SQL_TIME_LIMIT_MS / 4


def build_database(rows: int) -> Path:
    """A database of `rows` rows of one national-spec CSV (cached per schema version)."""
    database = OUT / f"instance_{rows}_v{SCHEMA_VERSION}.db"
    if not database.exists():
        OUT.mkdir(exist_ok=True)
        source = OUT / f"leverantorsreskontra_{rows}.csv"
        write_national_csv(source, rows, seed=11)
        _openup("load", "--db", database, source)
        source.unlink()
    return database


def build_sample_database(rows: int) -> Path:
    """A database of `openup sample`'s exports of `rows` rows in every publisher shape (cached
    per schema version)."""
    database = OUT / f"sample_{rows}_v{SCHEMA_VERSION}.db"
    if not database.exists():
        exports = OUT / f"sample_{rows}"
        _openup("sample", exports, "--rows", rows, "--seed", 11)
        _openup("load", "--db", database, *sorted(exports.iterdir()))
        for export in exports.iterdir():
            export.unlink()
        exports.rmdir()
    return database


def _openup(*args) -> None:
    openup = Path(sys.executable).parent / "openup"
    subprocess.run([str(openup), *map(str, args)], stdout=subprocess.DEVNULL, check=True)


def targets(database: Path) -> list[tuple[str, str, float]]:
    """(label, path, goal in ms) for every page and canned query."""
    name = database.stem
    with sqlite3.connect(database) as conn:
        buyer, year = conn.execute("SELECT kopare_id, ar FROM kopare_leverantor_manad "
                                   "GROUP BY 1, 2 ORDER BY sum(rader) DESC LIMIT 1").fetchone()
        supplier = conn.execute("SELECT leverantor_id FROM leverantorer ORDER BY rader DESC "
                                "LIMIT 1").fetchone()[0]
    params = {"kopare_id": buyer, "ar": str(year), "andel": "5", "min_kopare": "2",
              "leverantor": supplier, "verifikationsnummer": "1000"}
    pages = [
        ("front page", "/", PAGE_GOAL_MS),
        ("table page with facets", f"/{name}/leverantorsreskontra", PAGE_GOAL_MS),
        ("table filtered by buyer", f"/{name}/leverantorsreskontra?kopare_id={buyer}", PAGE_GOAL_MS),
        ("full-text search", f"/{name}/leverantorer?_search=bygg", PAGE_GOAL_MS),
        ("buyer page", f"/{name}/kopare/{buyer}", PAGE_GOAL_MS),
    ]
    queries = yaml.safe_load(METADATA.read_text())["database"]["queries"]
    for query_name, query in queries.items():
        used = sorted(set(re.findall(r":(\w+)", query["sql"])))
        arguments = "&".join(f"{p}={params[p]}" for p in used)
        pages.append((f"query {query_name}", f"/{name}/{query_name}.json?{arguments}", QUERY_GOAL_MS))
    return pages


async def timed(datasette, path: str, repeat: int) -> list[float]:
    """Server time of repeat requests for path, in ms (the app in-process, no network)."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = await datasette.client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    return timings


def percentile(timings: list[float], share: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(database: Path, repeat: int) -> list[tuple[str, float, float, float]]:
    datasette = make_datasette([database])
    results = []
    for label, path, goal in targets(database):
        timings = await timed(datasette, path, repeat)
        results.append((label, statistics.median(timings), percentile(timings, 0.95), goal))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    database = build_database(args.rows)
    print(f"{args.rows:,} rows; {args.repeat} requests each; server time in ms")
    print(f"{'endpoint':<42} {'p50':>8} {'p95':>8} {'goal':>7}  ")
    for label, p50, p95, goal in asyncio.run(measure(database, args.repeat)):
        verdict = "ok" if p95 <= goal else "OVER"
        print(f"{label:<42} {p50:>8.1f} {p95:>8.1f} {goal:>7.0f}  {verdict}")


if __name__ == "__main__":
    main()
