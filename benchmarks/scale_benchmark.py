"""`make bench-scale ROWS=…`: the instance at national scale (issue 18).

Writes a national-spec CSV of ROWS distinct rows as a streaming generator (constant memory) with
a realistic spread: suppliers growing with the rows (rows / 300, at least 2,000: 33,333 at 10M;
half the invoices go to a few large suppliers, half to any),
invoices of one to five rows (three on average), 311 buyers of which a few book most rows and the
rest form a long tail, --years years of booking days (two by default). Then, in the same run:

  baseline  `sqlite3 .import` of the CSV
  openup    `openup load` of the CSV (time, ratio to the baseline, peak RSS), database size
  shard     with --shard, `openup shard` of the loaded database (time, peak RSS, the national
            and the largest year's database size); the pages are then served from them
  pages     each page type requested --repeat times through the real Datasette app, every
            request with other parameters (a random buyer or supplier, or an ignored parameter),
            so that no answer comes from the instance's page cache; p50, p95 and 5xx answers,
            and apart from them the type's first request (it compiles the page's templates).
            The pages by buyer and by supplier are asked for a random one, nearly always small,
            and for the one with the most rows (the pages a reader of a city's spending, or of its
            largest supplier, opens first).
            Served from year databases, the ledger's pages are those of a random year, and two
            more types are the national database's ledger links (sent on to a year, or listing them).
            --pages FOLDER times only the pages, of a build kept by --build and --keep.

Goals at 10M rows: every page other than ad hoc SQL p95 <= 100 ms, no 5xx, load ratio no worse
than at 1M, peak RSS <= 300 MiB.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from itertools import accumulate
from pathlib import Path

from instance_benchmark import percentile
from load_benchmark import openup_command, openup_load, run_measured, run_measured_tree, run_sqlite3
from openup.archive import parquet_path
from openup.columns import SPEC_COLUMNS
from openup.periods import period_bounds
from openup.sample import dot_amount
from openup.synthetic import ACCOUNTS, make_suppliers, synthetic_municipality_orgnr
from openup_plugins.instance import inspect_file, make_datasette

PAGE_GOAL_MS = 100
BUYERS = 311  # 290 kommuner and 21 regioner, as many as Sweden has


def write_scale_csv(path: Path, rows: int, seed: int, years: int = 2, per_year: bool = False) -> list[Path]:
    """The rows in path, or (per_year) in one file per booking year beside it, as a publisher
    gives a year at a time: the files written, in order."""
    with ExitStack() as files:
        writers = {}

        def writer_of(day: str):
            key = day[:4] if per_year else ""
            if key not in writers:
                target = path.with_stem(f"{path.stem}_{key}") if key else path
                writers[key] = (target, csv.writer(files.enter_context(target.open("w", newline="", encoding="utf-8")),
                                                   delimiter=";", lineterminator="\n"))
                writers[key][1].writerow(SPEC_COLUMNS)
            return writers[key][1]
        _write_rows(writer_of, rows, seed, years)
        return sorted(target for target, _ in writers.values())


def _write_rows(writer_of: Callable[[str], csv.writer], rows: int, seed: int, years: int) -> None:
    rng = random.Random(seed)
    suppliers = make_suppliers(rng, max(2_000, rows // 300))
    buyers = [(synthetic_municipality_orgnr(n), f"Kommun {n}", f"{n:04d}") for n in range(BUYERS)]
    weights = list(accumulate(1 / (rank + 1) ** 1.1 for rank in range(BUYERS)))  # a long tail
    units = [f"{n}00 - Nämnd {n}" for n in range(1, 15)]
    days = [f"{y}-{m:02d}-{d:02d}" for y in range(2024 - years, 2024) for m in range(1, 13) for d in range(1, 29)]
    written, invoice = 0, 0
    while written < rows:
        buyer_id, buyer_name, kommun = rng.choices(buyers, cum_weights=weights)[0]
        # Half the invoices from a few large suppliers, half from any: a long tail of thousands.
        supplier = suppliers[int(rng.paretovariate(0.9)) % len(suppliers) if rng.random() < 0.5
                             else rng.randrange(len(suppliers))]
        day, unit = rng.choice(days), rng.choice(units)
        writer = writer_of(day)
        for _ in range(min(rng.randint(1, 5), rows - written)):
            konto, text = rng.choice(ACCOUNTS)
            ore = int(rng.lognormvariate(8.3, 1.5) * 100)
            writer.writerow((buyer_id, buyer_name, invoice, supplier.name, supplier.id, konto, text, day,
                             unit, invoice + 10**6, dot_amount(ore), "", "", kommun, ""))
            written += 1
        invoice += 1


def page_types(database: Path, seed: int, ledgers: list[str]) -> dict[str, Callable[[], str]]:
    """Page type -> a function giving the next path to ask for (never the same twice); ledgers
    are the databases holding the ledger (the database itself, or its years)."""
    rng = random.Random(seed)
    name = database.stem
    with sqlite3.connect(database) as conn:
        buyers = [b for b, in conn.execute("SELECT kopare_id FROM kopare ORDER BY rader DESC")]
        suppliers = [s for s, in conn.execute("SELECT leverantor_id FROM leverantorer "
                                              "WHERE leverantor_id IS NOT NULL ORDER BY random() LIMIT 500")]
        largest_supplier = conn.execute("SELECT leverantor_id FROM leverantorer WHERE leverantor_id_typ = "
                                        "'organisationsnummer' ORDER BY rader DESC").fetchone()[0]
        slug = conn.execute("SELECT indikator FROM flaggor GROUP BY 1 ORDER BY count(*) DESC").fetchone()[0]
    counter = iter(range(10**9))

    def ledger() -> str:
        return rng.choice(ledgers)

    largest = {}  # each ledger's buyer with the most rows: the page a reader of a city's spending opens
    busiest_month = {}  # and that buyer's month with the most rows (a link of its page's months),
    main_supplier = {}  # and its supplier with the most rows (a link of its page's suppliers)
    for ledger_name in ledgers:
        with sqlite3.connect(database.with_name(f"{ledger_name}.db")) as conn:
            largest[ledger_name] = conn.execute("SELECT kopare_id FROM kopare ORDER BY rader DESC").fetchone()[0]
        with sqlite3.connect(database) as conn:
            year = ledger_name.removeprefix(f"{name}_") if ledger_name != name else conn.execute(
                "SELECT max(ar) FROM kopare_manad").fetchone()[0]
            busiest_month[ledger_name] = period_bounds(conn.execute(
                "SELECT manad FROM kopare_manad WHERE kopare_id = ? AND ar = ? ORDER BY rader DESC",
                [largest[ledger_name], year]).fetchone()[0])
            main_supplier[ledger_name] = conn.execute(
                "SELECT leverantor_nyckel FROM kopare_leverantor_ar WHERE kopare_id = ? AND ar = ? ORDER BY rader DESC",
                [largest[ledger_name], year]).fetchone()[0]

    def month(name: str) -> str:  # as the pages link a month's rows
        return "&bokforingsdatum__gte={}&bokforingsdatum__lte={}&_sort=bokforingsdatum".format(*busiest_month[name])

    def months_ledger(name: str, n: int) -> str:
        return f"/{name}/leverantorsreskontra?_={n}{month(name)}"

    def largest_buyers_ledger(name: str, n: int, of_month: bool = False, supplier: bool = False) -> str:
        dates = month(name) if of_month else ""
        of_supplier = f"&leverantor_nyckel={main_supplier[name]}" if supplier else ""
        return f"/{name}/leverantorsreskontra?kopare_id={largest[name]}{of_supplier}{dates}&_={n}"

    types = {
        "front page": lambda: f"/?_={next(counter)}",
        "/inkop": lambda: f"/inkop?_={next(counter)}",
        "buyer page": lambda: f"/inkop/kopare/{rng.choice(buyers)}",
        "buyer page, largest buyer": lambda: f"/inkop/kopare/{buyers[0]}?_={next(counter)}",
        "supplier page": lambda: f"/inkop/leverantor/{rng.choice(suppliers)}",
        "supplier page, largest": lambda: f"/inkop/leverantor/{largest_supplier}?_={next(counter)}",
        "flag page": lambda: f"/inkop/flaggor/{slug}?kopare={rng.choice(buyers)}",
        "flag page, largest buyer": lambda: f"/inkop/flaggor/{slug}?kopare={buyers[0]}&_={next(counter)}",
        "quality page": lambda: f"/inkop/kvalitet?kopare={rng.choice(buyers)}",
        "quality, largest buyer": lambda: f"/inkop/kvalitet?kopare={buyers[0]}&_={next(counter)}",
        "search": lambda: f"/sok?q={rng.choice(suppliers)[:4]}",
        "ledger, no filter": lambda: f"/{ledger()}/leverantorsreskontra?_={next(counter)}",
        "ledger by supplier id": lambda: f"/{ledger()}/leverantorsreskontra?leverantor_id={rng.choice(suppliers)}",
        "ledger, largest supplier": lambda: f"/{ledger()}/leverantorsreskontra?leverantor_id={largest_supplier}"
                                            f"&_={next(counter)}",
        # The pages link to a supplier's rows by key (of a year: a year's database, its dates dropped).
        "ledger, largest supplier key": lambda: f"/{ledger()}/leverantorsreskontra?leverantor_nyckel="
                                                f"{largest_supplier}&_={next(counter)}",
        "same as JSON, _size=max": lambda: f"/{ledger()}/leverantorsreskontra.json?_size=max"
                                           f"&leverantor_id={rng.choice(suppliers)}",
        "ledger by buyer": lambda: f"/{ledger()}/leverantorsreskontra?kopare_id={rng.choice(buyers)}",
        "ledger, largest buyer": lambda: largest_buyers_ledger(ledger(), next(counter)),
        "ledger, a month": lambda: months_ledger(ledger(), next(counter)),  # a month of /inkop
        "ledger, largest buyer's month": lambda: largest_buyers_ledger(ledger(), next(counter), of_month=True),
        "ledger, largest buyer+supplier": lambda: largest_buyers_ledger(ledger(), next(counter), supplier=True),
        "ledger facet by buyer": lambda: f"/{ledger()}/leverantorsreskontra?_facet=kopare_id&_={next(counter)}",
        "ledger sorted by amount": lambda: f"/{ledger()}/leverantorsreskontra?_sort_desc=nettobelopp&_={next(counter)}",
    }
    if ledgers != [name]:
        year = ledgers[-1].removeprefix(f"{name}_")
        types["national link, one year"] = lambda: (f"/{name}/leverantorsreskontra?kopare_id={rng.choice(buyers)}"
                                                    f"&bokforingsdatum__gte={year}-01-01&bokforingsdatum__lte={year}-12-31")
        types["national link, all years"] = lambda: f"/{name}/leverantorsreskontra?leverantor_id={rng.choice(suppliers)}"
    return types


async def measure_pages(databases: list[Path], repeat: int, seed: int) -> list[tuple[str, float, float, float, int]]:
    """Served as given: one database, or the national one and its years. The first request of a
    page type is timed apart: it compiles the page's templates, once per server process."""
    datasette = make_datasette(databases)
    results = []
    ledgers = [d.stem for d in databases[1:]] or [databases[0].stem]
    for label, next_path in page_types(databases[0], seed, ledgers).items():
        timings, failures = [], 0
        for _ in range(repeat + 1):
            started = time.perf_counter()
            response = await datasette.client.get(next_path())
            timings.append((time.perf_counter() - started) * 1000)
            failures += response.status_code >= 500
        first, *timings = timings
        results.append((label, first, statistics.median(timings), percentile(timings, 0.95), failures))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--years", type=int, default=2, help="booking years the rows spread over")
    parser.add_argument("--shard", action="store_true", help="serve the pages from year databases")
    parser.add_argument("--keep", type=Path, help="keep the database built at this path (with --build, the folder "
                        "of the files published)")
    parser.add_argument("--build", type=int, metavar="WORKERS",
                        help="write a file per year and publish them with openup build --workers WORKERS")
    parser.add_argument("--files-in", type=Path, help="write the generated files in this folder rather than beside "
                        "the databases (another disk, or a RAM disk, when one disk cannot hold both)")
    parser.add_argument("--pages", type=Path, metavar="FOLDER", help="only time the pages of a folder published "
                        "by openup build (one kept by --build and --keep)")
    args = parser.parse_args()
    if args.pages:
        time_pages(published(args.pages, "openup"), args.repeat, args.seed)
        return
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory(dir=args.files_in) as files_in:
        folder = Path(tmp)
        started = time.perf_counter()
        sources = write_scale_csv(Path(files_in) / f"leverantorsreskontra_{args.rows}.csv", args.rows, args.seed,
                                  args.years, per_year=args.build is not None)
        print(f"{args.rows:,} rows written in {time.perf_counter() - started:.0f} s, {len(sources)} files "
              f"({sum(p.stat().st_size for p in sources) / 2**20:,.0f} MiB)")
        base_s, _ = sqlite_import_all(sources, folder / "baseline.db")
        (folder / "baseline.db").unlink()
        if args.build is not None:
            served = build(sources, args.keep or folder / "shards", args.build, base_s)
        else:
            database = args.keep or folder / "openup.db"
            ours_s, ours_mib = openup_load(sources[0], database)
            sources[0].unlink()  # the disk for the shards
            print(f"sqlite3 .import {base_s:.1f} s; openup load {ours_s:.1f} s: ratio {ours_s / base_s:.2f}; "
                  f"peak {ours_mib:.0f} MiB (goal <= 300); database {database.stat().st_size / 2**30:.2f} GiB; "
                  f"{_counts(database)}")
            served = shard(database, folder / "shards") if args.shard else [database]
        for source in sources:  # a server has the databases, not the files, to cache
            source.unlink(missing_ok=True)
        time_pages(served, args.repeat, args.seed)


def time_pages(served: list[Path], repeat: int, seed: int) -> None:
    for path in served:
        inspect_file(path)
    print(f"{'page':<30} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8} {'5xx':>4}  goal p95 <= {PAGE_GOAL_MS} ms")
    for label, first, p50, p95, failures in asyncio.run(measure_pages(served, repeat, seed)):
        mark = "" if p95 <= PAGE_GOAL_MS and not failures else "  MISSED"
        print(f"{label:<30} {first:>9.0f} {p50:>8.0f} {p95:>8.0f} {failures:>4}{mark}")


def sqlite_import_all(sources: list[Path], database: Path) -> tuple[float, float]:
    """`sqlite3 .import` of every file, one after the other, into one table."""
    return run_sqlite3(database, "\n".join([".mode csv", ".separator ;", *(
        f".import {'--skip 1 ' if n else ''}{path} leverantorsreskontra" for n, path in enumerate(sources)), ""]))


def _counts(database: Path) -> str:
    with sqlite3.connect(database) as conn:
        suppliers = conn.execute("SELECT count(*) FROM leverantorer").fetchone()[0]
        invoices = conn.execute("SELECT count(*) FROM fakturor").fetchone()[0]
    return f"{suppliers:,} suppliers, {invoices:,} invoices"


def build(sources: list[Path], out: Path, workers: int, base_s: float) -> list[Path]:
    """`openup build` of the files, measured: the peak of its largest process, and of all its
    processes together (the loads run at once), and its phases as the files it writes appear."""
    measured = run_measured_tree(
        [openup_command(), "build", "--out", str(out), "--workers", str(workers), *map(str, sources)], out.parent,
        watch=out)
    print(f"openup build, {workers} workers: {measured.seconds:.1f} s, ratio {measured.seconds / base_s:.2f} to "
          f".import ({base_s:.1f} s); peak {measured.peak_mib:.0f} MiB per process, {measured.together_mib:.0f} MiB "
          f"all processes together; disk {measured.disk_gib:.1f} GiB at most beyond the files")
    print("peak per process by role: " + ", ".join(f"{role} {mib:.0f} MiB" for role, mib in sorted(
        measured.peak_by_role.items(), key=lambda item: -item[1])))
    print(_phases(measured.first_seen, measured.seconds))
    return published(out, "openup")


def _phases(first_seen: dict[str, float], seconds: float) -> str:
    """The build's phases, from when its files were first seen: the loads until the national
    database is begun, then the national database until the first year's is begun, then the years."""
    national = first_seen.get(".openup.db.tmp")
    years = sorted(at for name, at in first_seen.items() if name.startswith(".openup_") and name.endswith(".db.tmp"))
    if national is None or not years:
        return "phases: not seen (the build was faster than the sampling)"
    return (f"phases: loads {national:.0f} s, national database {years[0] - national:.0f} s, {len(years)} years "
            f"with their Parquet files {seconds - years[0]:.0f} s")


def shard(database: Path, out: Path) -> list[Path]:
    """`openup shard` of database into out, measured."""
    seconds, peak = run_measured([openup_command(), "shard", "--db", str(database), str(out)])
    print(f"openup shard {seconds:.1f} s, peak {peak:.0f} MiB")
    return published(out, database.stem)


def published(out: Path, name: str) -> list[Path]:
    """The national database, then the years, their sizes printed."""
    national, *years = [out / f"{name}.db", *sorted(out.glob(f"{name}_*.db"))]
    largest = max(years, key=lambda p: p.stat().st_size)
    print(f"national {national.stat().st_size / 2**30:.2f} GiB, {_counts(national)}; {len(years)} years, "
          f"largest {largest.name} {largest.stat().st_size / 2**30:.2f} GiB, all years "
          f"{sum(p.stat().st_size for p in years) / 2**30:.2f} GiB, as Parquet "
          f"{sum(parquet_path(p).stat().st_size for p in years) / 2**30:.2f} GiB")
    return [national, *years]


if __name__ == "__main__":
    main()
