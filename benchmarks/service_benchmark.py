"""Staying up under load (issue 11): many clients on an ordinary mix of pages, then the same
with clients running expensive SQL alongside, then requests that ask for huge values.

Serves a database of --rows national-spec rows (built once, cached in benchmarks/out/) with
`openup serve` in its own process, as deployed, and prints per page: requests, errors, timeouts
and p50/p95/p99 in ms; requests per second; and the server's peak memory (VmHWM, its worker processes summed). The clients run on the same
machine as the server and take part of its CPU.
Goals: 0 errors and 0 timeouts; p95 <= 1 s for every page but the CSV stream and <= 200 ms for
the front page; with the expensive SQL alongside, front page and /inkop p95 <= 300 ms;
peak server RSS <= 1 GiB. A third run adds pages seldom asked for twice, so that what pages
cost when rendered anew is seen beside what the instance keeps in memory (plugins/responses.py);
each page's share answered from memory is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
import sys
import random
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import httpx
from instance_benchmark import build_database, percentile
from lean_http import Connection
from openup_plugins.instance import inspect_file

TIMEOUT_S = 30
EXPENSIVE_SQL = ("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 100000000) "
                 "SELECT count(*) FROM r")
HUGE_VALUES = ("select zeroblob(999000000)", "select hex(randomblob(400000000))")


def mix(database: Path) -> dict[str, str]:
    """The issue's ordinary mix: the same few pages asked for again and again."""
    name = database.stem
    with sqlite3.connect(database) as conn:
        buyer, year = conn.execute("SELECT kopare_id, max(ar) FROM kopare_kvalitet GROUP BY 1 "
                                   "ORDER BY sum(rader) DESC LIMIT 1").fetchone()
        slug = conn.execute("SELECT indikator FROM flaggor GROUP BY 1 ORDER BY count(*) DESC").fetchone()[0]
    return {
        "front page": "/",
        "/inkop": "/inkop",
        "flag json": f"/inkop/flaggor/{slug}.json",
        "buyer json": f"/inkop/kopare/{buyer}.json",
        "table page": f"/{name}/leverantorsreskontra?kopare_id={buyer}",
        "facet page": f"/{name}/leverantorsreskontra?_facet=kopare_id&kopare_id={buyer}",
        "filtered CSV": f"/{name}/leverantorsreskontra.csv?kopare_id={buyer}&bokforingsdatum__gte={year}-12-01"
                        f"&_stream=on&_size=max",
    }


def varied_mix(database: Path, seed: int = 1) -> dict[str, Callable[[], str]]:
    """Pages seldom asked for twice: each request a random supplier's rows, a random buyer's
    and year's facets, a random supplier's JSON (of the many thousands), so most are rendered
    anew rather than answered from memory."""
    name = database.stem
    with sqlite3.connect(database) as conn:
        suppliers = [r[0] for r in conn.execute("SELECT DISTINCT leverantor_nyckel FROM kopare_leverantor_ar")]
        buyer_years = conn.execute("SELECT DISTINCT kopare_id, ar FROM kopare_ar").fetchall()
    draw = random.Random(seed)
    return {
        "supplier rows": lambda: f"/{name}/leverantorsreskontra?" + urlencode(
            {"leverantor_nyckel": draw.choice(suppliers)}),
        "buyer-year facets": lambda: f"/{name}/leverantorsreskontra?_facet=konto_nr&" + urlencode(
            dict(zip(("kopare_id", "bokforingsdatum__startswith"), map(str, draw.choice(buyer_years))))),
        "supplier json": lambda: f"/{name}/leverantorsreskontra.json?_size=50&" + urlencode(
            {"leverantor_nyckel": draw.choice(suppliers)}),
    }


def peak_rss_mib(pid: int) -> float:
    """The peak resident memory of the server process and its worker processes, summed."""
    pids = [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    total = 0
    for process in pids:
        for line in Path(f"/proc/{process}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024


async def client(server, pages, deadline, timings, errors, hits):
    connection = Connection(*server)
    names = list(pages)
    turn = 0
    while time.monotonic() < deadline:
        name = names[turn % len(names)]
        turn += 1
        page = pages[name]
        started = time.perf_counter()
        try:
            status, headers = await connection.get(page() if callable(page) else page, TIMEOUT_S)
            hits.setdefault(name, []).append(headers.get(b"x-cache") == b"HIT")
            if status != 200:
                errors[name] = errors.get(name, 0) + 1
        except asyncio.TimeoutError:
            errors[f"{name} (timeout)"] = errors.get(f"{name} (timeout)", 0) + 1
            continue
        timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)


async def expensive(server, database_name, deadline):
    connection = Connection(*server)
    while time.monotonic() < deadline:
        try:
            await connection.get(f"/{database_name}.json?" + urlencode({"sql": EXPENSIVE_SQL}), TIMEOUT_S)
        except asyncio.TimeoutError:
            pass


async def run(server, pages, clients, expensive_clients, seconds, database_name):
    timings, errors, hits = {}, {}, {}
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(client(server, pages, deadline, timings, errors, hits) for _ in range(clients)),
                         *(expensive(server, database_name, deadline) for _ in range(expensive_clients)))
    return timings, errors, hits


def report(title, timings, errors, hits, seconds, pid):
    total = sum(len(t) for t in timings.values())
    print(f"\n{title}: {total / seconds:.1f} requests/s, errors and timeouts: {errors or 'none'}, "
          f"server peak RSS {peak_rss_mib(pid):.0f} MiB")
    print(f"{'page':<18} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'from memory':>12}")
    for name, values in timings.items():
        from_memory = sum(hits[name]) / len(hits[name])
        print(f"{name:<18} {len(values):>9} {percentile(values, 0.5):>8.0f} {percentile(values, 0.95):>8.0f} "
              f"{percentile(values, 0.99):>8.0f} {from_memory:>11.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="openup serve --workers")
    args = parser.parse_args()
    database = build_database(args.rows)
    inspect_file(database)
    port = 9000 + os.getpid() % 1000
    server = subprocess.Popen([Path(sys.executable).parent / "openup", "serve", database, "--port", str(port),
                               "--workers", str(args.workers)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    server_address = ("127.0.0.1", port)
    try:
        while True:
            try:
                httpx.get(f"{base}/-/versions.json")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        pages = mix(database)
        print(f"{args.rows:,} rows; {args.workers} server processes; {args.clients} clients x {args.seconds} s; "
              f"timeout {TIMEOUT_S} s")
        report("ordinary mix", *asyncio.run(run(server_address, pages, args.clients, 0, args.seconds, database.stem)),
               args.seconds, server.pid)
        report("with 5 clients running expensive SQL",
               *asyncio.run(run(server_address, pages, args.clients, 5, args.seconds, database.stem)), args.seconds, server.pid)
        report("varied pages (seldom asked twice) with the ordinary mix",
               *asyncio.run(run(server_address, {**pages, **varied_mix(database)}, args.clients, 0, args.seconds,
                                database.stem)), args.seconds, server.pid)
        for sql in HUGE_VALUES:
            answer = httpx.get(f"{base}/{database.stem}.json", params={"sql": sql}, timeout=TIMEOUT_S)
            print(f"{sql}: HTTP {answer.status_code}, server peak RSS {peak_rss_mib(server.pid):.0f} MiB")
    finally:
        server.terminate()
        server.wait(15)


if __name__ == "__main__":
    main()
