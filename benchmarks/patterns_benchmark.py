"""Server time of every /inkop JSON endpoint and page, against a plain GROUP BY on the ledger.

Builds (once, cached in benchmarks/out/) a database of --rows rows with `openup sample` and
`openup load`, requests each endpoint --repeat times through the real Datasette app, and times
the same figure computed the naive way (a GROUP BY over leverantorsreskontra) for comparison.
Goals: JSON p95 <= 100 ms, pages p95 <= 300 ms. Then scores every indicator on the cases
planted in the sample (openup.planted): recall and precision, and how many hits lie elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from instance_benchmark import build_sample_database, percentile, timed
from openup.indicators import INDICATORS
from openup.planted import SAMPLE_BUYERS, planted_ledger, score
from openup_plugins.instance import inspect_file, make_datasette

JSON_GOAL_MS, PAGE_GOAL_MS = 100, 300
LEDGER = "leverantorsreskontra"
# The naive way to the same figures: straight from the ledger.
BASELINES = {
    "/inkop": f"SELECT substr(bokforingsdatum, 1, 7), sum(nettobelopp) FROM {LEDGER} GROUP BY 1",
    "/inkop/kopare/{buyer}": f"SELECT substr(bokforingsdatum, 1, 7), sum(nettobelopp) FROM {LEDGER} "
                             "WHERE kopare_id = :buyer AND bokforingsdatum LIKE :year GROUP BY 1",
    "/inkop/leverantor/{supplier}": f"SELECT kopare_id, sum(nettobelopp) FROM {LEDGER} "
                                    "WHERE leverantor_nyckel = :supplier GROUP BY 1",
    "/inkop/flaggor/direktupphandling": f"SELECT kopare_id, leverantor_nyckel, substr(bokforingsdatum, 1, 4), "
                                        f"sum(nettobelopp) s FROM {LEDGER} GROUP BY 1, 2, 3 HAVING s > 700000",
    "/inkop/flaggor/koncentration": f"SELECT kopare_id, leverantor_nyckel, sum(nettobelopp) FROM {LEDGER} "
                                    "GROUP BY 1, 2",
    "/inkop/flaggor/en-kopare": f"SELECT leverantor_nyckel, count(DISTINCT kopare_id) FROM {LEDGER} GROUP BY 1",
    "/inkop/kvalitet": f"SELECT kopare_id, count(*), sum(verifikationsnummer <> '') FROM {LEDGER} GROUP BY 1",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    database = build_sample_database(args.rows)
    with sqlite3.connect(database) as conn:
        buyer, year = conn.execute("SELECT kopare_id, max(ar) FROM kopare_kvalitet GROUP BY 1 "
                                   "ORDER BY sum(rader) DESC LIMIT 1").fetchone()
        supplier = conn.execute("SELECT leverantor_id FROM leverantorer ORDER BY rader DESC LIMIT 1").fetchone()[0]
    pages = ["/inkop", f"/inkop/kopare/{buyer}", f"/inkop/leverantor/{supplier}", "/inkop/flaggor",
             *(f"/inkop/flaggor/{slug}" for slug in INDICATORS), f"/inkop/jamfor?kopare={buyer}&kopare=212000-1355",
             "/inkop/kvalitet"]
    cold_start(database, pages)
    datasette = make_datasette([database])
    print(f"\n{args.rows:,} rows; {args.repeat} requests each from the first; server time in ms")
    print(f"{'endpoint':<48} {'json p50':>9} {'p95':>7} {'page p95':>9} {'GROUP BY':>9} {'ratio':>6}")
    for page in pages:
        base, _, query = page.partition("?")
        json_path = f"{base}.json" + (f"?{query}" if query else "")
        json_times = asyncio.run(timed(datasette, json_path, args.repeat))
        page_times = asyncio.run(timed(datasette, page, args.repeat))
        template = base.replace(buyer, "{buyer}").replace(supplier, "{supplier}")
        baseline = ""
        if template in BASELINES:
            with sqlite3.connect(database) as conn:
                started = time.perf_counter()
                conn.execute(BASELINES[template], {"buyer": buyer, "supplier": supplier,
                                                   "year": f"{year}%"}).fetchall()
                naive = (time.perf_counter() - started) * 1000
            baseline = f"{naive:>9.0f} {naive / statistics.median(json_times):>6.0f}x"
        p95, page_p95 = percentile(json_times, 0.95), percentile(page_times, 0.95)
        verdict = "ok" if p95 <= JSON_GOAL_MS and page_p95 <= PAGE_GOAL_MS else "OVER"
        print(f"{page[:48]:<48} {statistics.median(json_times):>9.1f} {p95:>7.1f} {page_p95:>9.1f} "
              f"{baseline:>16}  {verdict}")
    report_planted_cases(datasette)


def cold_start(database: Path, pages: list[str]) -> None:
    """Seconds from starting `openup serve` to the first 200 of every /inkop JSON twin, asked
    one after the other as a visitor would, with nothing computed beforehand but the inspect
    file (which a deployed image holds, made when it was built)."""
    inspect_file(database)
    port = 8000 + os.getpid() % 1000
    openup = Path(sys.executable).parent / "openup"
    started = time.perf_counter()
    server = subprocess.Popen([openup, "serve", database, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        up = time.perf_counter() - started
        print(f"cold start: server answering after {up:.2f} s; then the first request of each JSON twin:")
        slowest = 0.0
        for page in pages:
            path, _, query = page.partition("?")
            asked = time.perf_counter()
            with urllib.request.urlopen(f"{base}{path}.json" + (f"?{query}" if query else ""), timeout=120) as answer:
                answer.read()
                assert answer.status == 200, page
            slowest = max(slowest, time.perf_counter() - asked)
        print(f"  every twin answered {time.perf_counter() - started:.2f} s after the process started "
              f"(goal < 5 s); slowest first request {slowest * 1000:.0f} ms")
    finally:
        server.terminate()
        server.wait(10)


async def all_hits(datasette, slug: str) -> list[dict]:
    """Every hit of the indicator with its defaults, page after page as a client reads them."""
    hits, path = [], f"/inkop/flaggor/{slug}.json?_size=max"
    while path:
        body = (await datasette.client.get(path)).json()
        hits += body["rows"]
        following = urlsplit(body["next_url"]) if body["next_url"] else None
        path = f"{following.path}?{following.query}" if following else None
    return hits


def report_planted_cases(datasette) -> None:
    ledger = planted_ledger(*SAMPLE_BUYERS)
    print("\nplanted cases (openup.planted): recall = found / planted, precision = found / "
          "(found + flagged near misses)")
    print(f"{'indicator':<20} {'found':>7} {'recall':>7} {'near flagged':>13} {'precision':>10} {'other hits':>11}")
    for slug in INDICATORS:
        hits = asyncio.run(all_hits(datasette, slug))
        result = score(slug, hits, ledger, SAMPLE_BUYERS)
        planted_buyers = {number for number, _ in SAMPLE_BUYERS}
        elsewhere = sum(hit.get("kopare_id") not in planted_buyers for hit in hits)
        precision = "-" if result["precision"] is None else f"{result['precision']:.2f}"
        print(f"{slug:<20} {result['hittade']:>3} / {result['positiva']:<1} {result['recall']:>7.2f} "
              f"{result['flaggade_nara_missar']:>6} / {result['nara_missar']:<4} {precision:>10} "
              f"{elsewhere:>11}  {' '.join(result['missade'] + result['felaktigt_flaggade'])}")


if __name__ == "__main__":
    main()
