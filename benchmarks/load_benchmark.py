"""`make bench`: `openup load` end to end against `sqlite3 .import` of the same CSV.

Generates a national-spec (v1.1) CSV of --rows rows, then times, in the same run:
  baseline  sqlite3 CLI `.import` into a plain table (no types, no indexes, nothing else)
  sqlite    the imported rows copied by sqlite3 into the published ledger table and indexed
            (SQLite's own share of a load, with no normalising, summaries or invoices)
  openup    `openup load` to an indexed, summarised, searchable database
  validate  `openup validate` of the same file (reading, normalising and checking every line)
and prints the times, the ratios to the baseline, rows per second and each process's peak memory (RSS).
The --rows file is measured in --repeat rounds, each figure the median of its rounds (one run can
be a few tenths of a second off, as the disk writes back what an earlier step wrote). With
--scale-rows it also loads a larger file, once, to show that memory does not grow with size.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from openup.columns import SPEC_COLUMNS
from openup.database import connect, ensure_schema, index_name
from openup.flags import build_flags
from openup.sample import dot_amount
from openup.schema import LEDGER
from openup.synthetic import ACCOUNTS, BUYERS, make_suppliers, synthetic_municipality_orgnr

TARGET_RATIO = 3.0
TARGET_VALIDATE_RATIO = 1.5
TARGET_PEAK_MIB = 300


ROWS_PER_INVOICE = 3  # as real ledgers book them: an invoice on about three accounts


def write_national_csv(path: Path, rows: int, seed: int) -> None:
    """A v1.1 CSV of `rows` konteringar from 50 buyers over two years (fast, not the full model):
    invoices of ROWS_PER_INVOICE rows each, one supplier, day and voucher per invoice."""
    rng = random.Random(seed)
    suppliers = make_suppliers(rng, 20_000)
    named = list(BUYERS.values())
    buyers = [(b.orgnr, b.name, b.kommun_id) for b in named]
    buyers += [(synthetic_municipality_orgnr(n), f"Kommun {n}", f"{n:04d}") for n in range(44)]
    units = [f"{n}00 - Nämnd {n}" for n in range(1, 15)]
    days = [f"{y}-{m:02d}-{d:02d}" for y in (2022, 2023) for m in range(1, 13) for d in range(1, 29)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(SPEC_COLUMNS)
        for n in range(rows):
            invoice = n // ROWS_PER_INVOICE
            if n % ROWS_PER_INVOICE == 0:
                buyer_id, buyer_name, kommun = buyers[invoice % len(buyers)]
                supplier = suppliers[int(rng.paretovariate(1.2)) % len(suppliers)]
            konto, text = ACCOUNTS[n % len(ACCOUNTS)]
            ore = int(rng.lognormvariate(8.3, 1.5) * 100) * (-1 if invoice % 50 == 0 else 1)
            writer.writerow((buyer_id, buyer_name, invoice, supplier.name, supplier.id, konto, text,
                             days[invoice % len(days)], units[invoice % len(units)], invoice + 10**6,
                             dot_amount(ore), "", "AVT-1" if invoice % 3 == 0 else "", kommun, ""))


def run_measured(command: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one child process, which must succeed."""
    os.sync()  # the step before wrote hundreds of MB: its writeback is not charged to this one
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stdin=subprocess.PIPE)
    process.stdin.close()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return seconds, usage.ru_maxrss / 1024


@dataclass
class TreeMeasure:
    """One child process and its descendants, measured as they ran."""

    seconds: float
    peak_mib: float  # of its largest process
    together_mib: float  # of them all at once
    disk_gib: float  # the most of the file system used beyond what was used before
    peak_by_role: dict[str, float]  # MiB, by what each process was (its command's first words)
    first_seen: dict[str, float]  # seconds from the start at which each file under watch appeared


def run_measured_tree(command: list[str], disk: Path, every: float = 0.2, watch: Path | None = None) -> TreeMeasure:
    """command's process and its descendants, sampled every `every` seconds; it must succeed."""
    os.sync()
    started, used_before = time.perf_counter(), shutil.disk_usage(disk).used
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    together = used = 0
    by_role: dict[str, int] = {}
    first_seen: dict[str, float] = {}
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        resident = _tree_rss(process.pid)
        together = max(together, sum(resident.values()))
        for role, rss in resident.items():
            by_role[role] = max(by_role.get(role, 0), rss)
        used = max(used, shutil.disk_usage(disk).used - used_before)
        for path in watch.rglob("*") if watch and watch.exists() else ():
            first_seen.setdefault(path.name, time.perf_counter() - started)
        time.sleep(every)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return TreeMeasure(seconds, usage.ru_maxrss / 1024, together / 2**20, used / 2**30,
                       {role: rss / 2**20 for role, rss in by_role.items()}, first_seen)


def _tree_rss(root: int) -> dict[str, int]:
    """Bytes resident in root and every process below it (from /proc), the largest of each role."""
    parents, resident = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        pid = int(stat.parent.name)
        parents[pid], resident[pid] = int(fields[1]), int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    tree, added = {root}, True
    while added:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= below
        added = bool(below)
    by_role: dict[str, int] = {}
    for pid in tree:
        role = _role(pid)
        if role:
            by_role[role] = max(by_role.get(role, 0), resident.get(pid, 0))
    return by_role


def _role(pid: int) -> str | None:
    """What a process is: 'openup load', 'openup build', 'openup.year_writer', ... (from its
    command; None once it has ended)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return None
    words = [Path(arg).name for arg in argv[1:] if arg and not arg.startswith("-")]
    return " ".join(words[:2]) if words[:1] == ["openup"] else next(iter(words), None)


def run_sqlite3(db_path: Path, script: str) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of the sqlite3 command running script on db_path."""
    os.sync()
    started = time.perf_counter()
    process = subprocess.Popen(["sqlite3", "-bail", str(db_path)], stdin=subprocess.PIPE)
    process.stdin.write(script.encode())
    process.stdin.close()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"sqlite3 failed on: {script}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def sqlite_import(csv_path: Path, db_path: Path) -> tuple[float, float]:
    return run_sqlite3(db_path, f".mode csv\n.separator ;\n.import {csv_path} leverantorsreskontra\n")


def sqlite_typed_and_indexed(imported: Path, db_path: Path) -> tuple[float, float]:
    """SQLite's own share of a load: the imported rows copied into the published ledger table
    (typed columns) and its indexes built, all in C; no normalising, summaries or invoices."""
    published = connect(db_path)
    ensure_schema(published)  # the tables and indexes of an empty published database
    published.close()
    spec = ", ".join(SPEC_COLUMNS)
    indexes = [(index_name(LEDGER, columns), ", ".join(columns)) for columns in LEDGER.indexes]
    return run_sqlite3(db_path, "\n".join([
        f"ATTACH '{imported}' AS imported;", "BEGIN;",
        *(f"DROP INDEX {name};" for name, _ in indexes),
        f"INSERT INTO {LEDGER.name} ({spec}, kallfil_id, kallrad) "
        f"SELECT {spec}, 1, rowid + 1 FROM imported.leverantorsreskontra;",
        *(f"CREATE INDEX {name} ON {LEDGER.name} ({columns});" for name, columns in indexes),
        "COMMIT;", ""]))


def openup_command() -> str:
    return shutil.which("openup", path=str(Path(sys.executable).parent)) or "openup"


def openup_load(csv_path: Path, db_path: Path) -> tuple[float, float]:
    return run_measured([openup_command(), "load", "--db", str(db_path), str(csv_path)])


def openup_validate(csv_path: Path) -> tuple[float, float]:
    return run_measured([openup_command(), "validate", str(csv_path)])


def flags_build(db_path: Path) -> tuple[float, float]:
    """Seconds to build flaggor for every buyer (as a first load does), and for the buyer with
    the most rows alone (as a load of one publisher's file does), rolled back after."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    buyers = [b for b, in conn.execute("SELECT kopare_id FROM kopare ORDER BY rader DESC")]
    conn.execute("BEGIN")
    started = time.perf_counter()
    build_flags(conn, buyers)
    every = time.perf_counter() - started
    started = time.perf_counter()
    build_flags(conn, buyers[:1])
    one = time.perf_counter() - started
    conn.execute("ROLLBACK")
    conn.close()
    return every, one


def measure_all(csv_path: Path, folder: Path, rows: int) -> dict[str, tuple[float, float]]:
    """One round: (seconds, peak MiB) of every tool on csv_path, in a folder left empty after."""
    imported = folder / f"baseline_{rows}.db"
    base_s, base_mib = sqlite_import(csv_path, imported)
    copy_s, copy_mib = sqlite_typed_and_indexed(imported, folder / f"sqlite_{rows}.db")
    measured = {"sqlite3 .import": (base_s, base_mib),
                "  + typed, indexed": (base_s + copy_s, max(base_mib, copy_mib)),
                "openup load": openup_load(csv_path, folder / f"openup_{rows}.db"),
                "openup validate": openup_validate(csv_path)}
    measured["flaggor"] = flags_build(folder / f"openup_{rows}.db")
    for leftover in folder.iterdir():  # a 10M-row run would otherwise hold GBs to the end
        if leftover != csv_path:
            leftover.unlink()
    return measured


def median_round(rounds: list[dict[str, tuple[float, float]]]) -> dict[str, tuple[float, float]]:
    """Each tool's median seconds (and its peak memory in that round) over the rounds."""
    return {tool: sorted((r[tool] for r in rounds), key=lambda m: m[0])[len(rounds) // 2] for tool in rounds[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds at --rows; each figure is the median (a disk's writeback skews one run)")
    parser.add_argument("--scale-rows", type=int, default=0,
                        help="also load a file this large (one round), to show memory does not grow")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if shutil.which("sqlite3") is None:
        raise SystemExit("the baseline needs the sqlite3 command (Debian package sqlite3)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sizes = [(args.rows, args.repeat)] + ([(args.scale_rows, 1)] if args.scale_rows else [])
        print(f"{'rows':>11} {'tool':<18} {'seconds':>8} {'rows/s':>10} {'peak MiB':>9}  {'range of the rounds':<20}")
        for rows, repeat in sizes:
            csv_path = folder / f"leverantorsreskontra_{rows}.csv"
            write_national_csv(csv_path, rows, args.seed)
            rounds = [measure_all(csv_path, folder, rows) for _ in range(repeat)]
            csv_path.unlink()
            median = median_round(rounds)
            for tool in ("sqlite3 .import", "  + typed, indexed", "openup load", "openup validate"):
                seconds, mib = median[tool]
                spread = [r[tool][0] for r in rounds]
                print(f"{rows:>11,} {tool:<18} {seconds:>8.2f} {rows / seconds:>10,.0f} {mib:>9.0f}  "
                      + (f"{min(spread):.2f}-{max(spread):.2f} s in {repeat}" if repeat > 1 else "one round"))
            base_s = median["sqlite3 .import"][0]
            ours_s, ours_mib = median["openup load"]
            check_s, check_mib = median["openup validate"]
            flags_every, flags_one = median["flaggor"]
            print(f"{rows:>11,} ratio openup/sqlite3 = {ours_s / base_s:.2f} (target <= {TARGET_RATIO}); "
                  f"peak {ours_mib:.0f} MiB (target <= {TARGET_PEAK_MIB})")
            print(f"{rows:>11,} ratio openup validate/sqlite3 = {check_s / base_s:.2f} "
                  f"(target <= {TARGET_VALIDATE_RATIO}); peak {check_mib:.0f} MiB")
            print(f"{rows:>11,} ratio sqlite3 .import + typed, indexed / sqlite3 .import = "
                  f"{median['  + typed, indexed'][0] / base_s:.2f} (SQLite's own share, before any normalising)")
            print(f"{rows:>11,} of which flaggor: {flags_every:.2f} s for every buyer (a first load), "
                  f"{flags_one:.2f} s for the largest buyer alone (a load of its file)")


if __name__ == "__main__":
    main()
