"""Several work databases as parts of one instance (openup shard --db A --db B, openup build):
the published files are those one database of the same files, loaded in the same order, gives."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import pytest
from openup import build, shards
from openup.build import part_count, parts_folder, split_by_size
from openup.schema import BUYERS, SOURCE_FILES
from openup.shards import NATIONAL_TABLES, YEAR_TABLES

from .conftest import run_openup
from .files import AGENCY_HEADER, BUYER, agency_rows, copy_with_planted_lines_shuffled, write_agency_file, write_v11

# What differs between two loads of the same file: when it was loaded, and how long it took.
_WHEN = {SOURCE_FILES.name: ("inlast", "sekunder"), "databasinfo": ("senast_inlast",)}


def table_rows(path: Path, table) -> list[tuple]:
    columns = [c for c in table.column_names if c not in _WHEN.get(table.name, ())]
    with sqlite3.connect(path) as conn:
        rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table.name} ORDER BY "
                            f"{', '.join(str(i + 1) for i in range(len(columns)))}").fetchall()
    if table.name == "databasinfo":
        return [row for row in rows if row[0] not in _WHEN["databasinfo"] and row[0] != "arsinnehall"]
    return rows


def assert_same_tables(ours: list[Path], theirs: list[Path]) -> None:
    """Published files alike: every table of the national databases, then of each year's."""
    assert [p.name for p in ours] == [p.name for p in theirs]
    for table in NATIONAL_TABLES:
        assert table_rows(ours[0], table) == table_rows(theirs[0], table), table.name
    for our_year, their_year in zip(ours[1:], theirs[1:]):
        for table in YEAR_TABLES:
            assert table_rows(our_year, table) == table_rows(their_year, table), (our_year.name, table.name)


def published(out: Path, name: str = "openup") -> list[Path]:
    return [out / f"{name}.db", *sorted(out.glob(f"{name}_[0-9][0-9][0-9][0-9].db"))]


def load(database: Path, files: list[Path]) -> None:
    result = run_openup("load", "--db", database, *files)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def files(sample_dir, tmp_path_factory) -> list[Path]:
    """The sample's files in order, the planted file's lines shuffled (it spans three years)."""
    return copy_with_planted_lines_shuffled(sample_dir, tmp_path_factory.mktemp("files"), seed=7)


@pytest.fixture(scope="module")
def whole(files, tmp_path_factory) -> list[Path]:
    """The files loaded into one work database, then split, the years written in this process
    (elsewhere by processes of their own)."""
    folder = tmp_path_factory.mktemp("whole")
    load(folder / "openup.db", files)
    assert run_openup("shard", "--db", folder / "openup.db", "--workers", "1", folder / "ut").exit_code == 0
    return published(folder / "ut")


def split_into_parts(files: list[Path], folder: Path, bounds: tuple[int, ...]) -> list[Path]:
    parts = []
    for number, (start, end) in enumerate(zip((0, *bounds), (*bounds, len(files)))):
        parts.append(folder / f"del{number}.db")
        load(parts[-1], files[start:end])
    return parts


@pytest.mark.parametrize("bounds", [(2,), (3, 6, 9)], ids=["two parts", "four parts"])
def test_parts_give_the_files_one_database_gives(files, whole, tmp_path, bounds):
    """Every table of the national and the year databases, ids and all, as from one database:
    summaries added up, buyers' and suppliers' first and last days and names, the invoices'
    medians and every flag computed again over the whole."""
    parts = split_into_parts(files, tmp_path, bounds)
    result = run_openup("shard", *(a for part in parts for a in ("--db", part)), "--name", "openup",
                        "--workers", "2", tmp_path / "ut")
    assert result.exit_code == 0, result.output
    assert_same_tables(published(tmp_path / "ut"), whole)


def test_a_file_two_parts_hold_is_refused_and_nothing_is_written(files, tmp_path):
    """The same bytes, or the same rows under another name (the sample's republished file), in two
    parts would count twice: refused, naming both."""
    republished = next(p for p in files if "publicerad_igen" in p.name)
    original = next(p for p in files if p.name == republished.name.replace("_publicerad_igen", ""))
    for repeated in (original, republished):
        first, second = tmp_path / f"a_{repeated.stem}.db", tmp_path / f"b_{repeated.stem}.db"
        load(first, [original])
        load(second, [repeated, files[0]])
        result = run_openup("shard", "--db", first, "--db", second, tmp_path / "ut")
        assert result.exit_code == 1
        assert repeated.name in result.output and str(first) in result.output and "inga publicerade" in result.output
        assert not (tmp_path / "ut").exists() or not list((tmp_path / "ut").iterdir())


@pytest.mark.parametrize("newer_first, older_month", [(True, "2022-06"), (False, "2022-06"), (False, "2023-01")],
                         ids=["newer file first", "older file first", "same days"])
def test_a_renamed_buyer_has_the_name_of_its_latest_rows_whichever_part_holds_them(tmp_path, newer_first, older_month):
    older = tmp_path / "2022.csv"
    older.write_text(write_v11(tmp_path / "x.csv", month=older_month, seed=2).read_text("utf-8").replace(
        BUYER[1], "Göteborgs kommun"), "utf-8")
    newer = write_v11(tmp_path / "2023.csv", month="2023-01")
    order = [newer, older] if newer_first else [older, newer]
    load(tmp_path / "openup.db", order)
    parts = split_into_parts(order, tmp_path, (1,))
    for works, out in (([tmp_path / "openup.db"], "hel"), (parts, "delar")):
        result = run_openup("shard", *(a for work in works for a in ("--db", work)), "--name", "openup", tmp_path / out)
        assert result.exit_code == 0, result.output
    national, whole = tmp_path / "delar" / "openup.db", tmp_path / "hel" / "openup.db"
    assert table_rows(national, BUYERS) == table_rows(whole, BUYERS)
    with sqlite3.connect(national) as conn:
        assert conn.execute("SELECT kopare, forsta_datum FROM kopare").fetchall() == [(BUYER[1], f"{older_month}-01")]


def test_build_publishes_what_load_and_shard_publish(files, tmp_path):
    """openup build: the files in two parts loaded at once; the republished file, last, falls in
    the other part than its original and is skipped there, as one load skips it."""
    republished = next(p for p in files if "publicerad_igen" in p.name)
    order = [*(p for p in files if p != republished), republished]
    load(tmp_path / "openup.db", order)
    assert run_openup("shard", "--db", tmp_path / "openup.db", tmp_path / "hel").exit_code == 0
    result = run_openup("build", "--out", tmp_path / "ut", "--workers", "2", *order)
    assert result.exit_code == 0, result.output
    assert f"{republished.name}: överhoppad" in result.output
    built = published(tmp_path / "ut")
    assert_same_tables(built, published(tmp_path / "hel"))
    assert sorted(p.name for p in (tmp_path / "ut").iterdir()) == sorted(
        [p.name for p in built] + [p.with_suffix(".parquet").name for p in built[1:]])  # no parts left


def test_a_build_with_a_refused_file_publishes_nothing(files, tmp_path):
    (tmp_path / "ut").mkdir()
    unreadable = tmp_path / "okand.csv"
    unreadable.write_text("a;b;c\n1;2;3\n", "utf-8")
    result = run_openup("build", "--out", tmp_path / "ut", "--workers", "2", *files[:3], unreadable)
    assert result.exit_code == 1
    assert "okand.csv" in result.output and "inga publicerade filer ändrades" in result.output
    assert list((tmp_path / "ut").iterdir()) == []


@pytest.mark.parametrize("parts", [1, 2, 3, 5, 20])
def test_files_are_split_in_their_order_into_parts_of_about_equal_size(tmp_path, parts):
    sizes = [5, 1, 1, 8, 2, 2, 2, 9, 1, 3]
    files = []
    for number, size in enumerate(sizes):
        files.append(tmp_path / f"{number}.csv")
        files[-1].write_bytes(b"x" * size * 1000)
    groups = split_by_size(files, parts)
    assert [path for group in groups for path in group] == files and all(groups)
    assert len(groups) == min(parts, len(files))
    largest = max(sum(p.stat().st_size for p in group) for group in groups)
    assert largest <= max(sum(sizes) * 1000 / len(groups) + max(sizes) * 1000, max(sizes) * 1000)


def test_a_part_per_file_unless_the_files_are_small(tmp_path, monkeypatch):
    files = []
    for number in range(10):
        files.append(tmp_path / f"{number}.csv")
        files[-1].write_bytes(b"x" * 1000)
    assert part_count(files, workers=2) == 2  # 10 kB in all: a part per worker
    monkeypatch.setattr(build, "PART_BYTES", 3000)
    assert part_count(files, workers=2) == 4  # none much under 3 kB
    monkeypatch.setattr(build, "PART_BYTES", 500)
    assert part_count(files, workers=2) == 10  # a part per file
    assert part_count(files, workers=16) == 10


def removed_but_open() -> list[str]:
    """The databases this process holds open that are removed (their disk not yet freed)."""
    held = []
    for descriptor in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{descriptor}")
        except OSError:  # the listing's own, closed meanwhile
            continue
        if target.endswith(".db (deleted)"):
            held.append(target)
    return held


def test_a_builds_part_is_removed_once_its_years_are_written(tmp_path, monkeypatch):
    """With one worker the rows are on disk twice only a year at a time: the part of 2021 is gone,
    and no longer held open, before 2022 is written, and so on; the published files are complete."""
    files = [write_v11(tmp_path / f"{year}.csv", month=f"{year}-05", seed=year) for year in (2021, 2022, 2023)]
    folder = parts_folder(tmp_path / "ut", "openup")
    present, held = {}, {}
    write_year = shards._write_year

    def recorded(path, summaries, national, year, *args):
        present[year] = sorted(part.name for part in folder.glob("del_*.db"))
        held[year] = removed_but_open()
        return write_year(path, summaries, national, year, *args)
    monkeypatch.setattr(shards, "_write_year", recorded)
    monkeypatch.setattr(build, "PART_BYTES", 1)  # a part per file
    result = run_openup("build", "--out", tmp_path / "ut", "--workers", "1", *files)
    assert result.exit_code == 0, result.output
    assert present == {2021: ["del_00000.db", "del_00001.db", "del_00002.db"],
                       2022: ["del_00001.db", "del_00002.db"], 2023: ["del_00002.db"]}
    assert held == {2021: [], 2022: [], 2023: []}
    assert sorted(p.name for p in (tmp_path / "ut").iterdir()) == sorted(
        ["openup.db", *(f"openup_{y}{suffix}" for y in (2021, 2022, 2023) for suffix in (".db", ".parquet"))])


def python_that(tmp_path: Path, monkeypatch, script: str) -> None:
    """The Python that openup starts its processes with, in front of which script runs (sh; $3
    is the order of a year's process, its first argument)."""
    wrapper = tmp_path / "python"
    wrapper.write_text(f"#!/bin/sh\n{script}\nexec {sys.executable} \"$@\"\n", "utf-8")
    wrapper.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(wrapper))


def test_with_two_year_processes_a_part_is_removed_before_another_year_begins(tmp_path, monkeypatch):
    """Two years are written at once, each by a process of its own: the third begins once one of
    them is done, and that one's part is removed by then; the published files are those that one
    process writes from one part."""
    files = [write_v11(tmp_path / f"{year}.csv", month=f"{year}-05", seed=year) for year in (2021, 2022, 2023)]
    folder, seen = parts_folder(tmp_path / "ut", "openup"), tmp_path / "seen"
    seen.mkdir()
    monkeypatch.setattr(build, "PART_BYTES", 1)  # a part per file
    python_that(tmp_path, monkeypatch, f'case "$3" in *.pickle) ls {folder} | grep "\\.db$" > {seen}/$(basename "$3");; esac')
    result = run_openup("build", "--out", tmp_path / "ut", "--workers", "2", *files)
    assert result.exit_code == 0, result.output
    present = {order.stem: order.read_text().split() for order in seen.iterdir()}
    assert present["2021"] == present["2022"] == ["del_00000.db", "del_00001.db", "del_00002.db"]
    assert "del_00002.db" in present["2023"] and len(present["2023"]) < 3  # one or both before it done
    monkeypatch.undo()  # one part, its years written in this process
    assert run_openup("build", "--out", tmp_path / "en", "--workers", "1", *files).exit_code == 0
    assert_same_tables(published(tmp_path / "ut"), published(tmp_path / "en"))
    assert sorted(p.name for p in (tmp_path / "ut").iterdir()) == sorted(p.name for p in (tmp_path / "en").iterdir())


def test_a_year_process_that_fails_leaves_the_published_files_as_they_were(tmp_path, monkeypatch):
    """The process of 2022 fails (as on a full disk) while 2021's is still at work: that process
    is stopped, nothing is renamed into place, and none of its files is left behind."""
    files = [write_v11(tmp_path / f"{year}.csv", month=f"{year}-05", seed=year) for year in (2021, 2022, 2023)]
    out = tmp_path / "ut"
    assert run_openup("build", "--out", out, "--workers", "2", *files[:2]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    python_that(tmp_path, monkeypatch, f"""case "$3" in
        *2021.pickle) {sys.executable} "$@"; sleep 10; exit 0;;
        *2022.pickle) until [ -e {out}/.openup_2021.parquet.tmp ]; do sleep 0.1; done
                      echo "database or disk is full"; exit 1;;
    esac""")  # 2021's files are written, its process not yet done, when 2022's fails
    result = run_openup("build", "--out", out, "--workers", "2", *files)
    assert result.exit_code == 1
    assert "openup_2022.db skrevs inte (database or disk is full)" in result.output
    assert "inga publicerade filer ändrades" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_repeated_file_amid_a_part_is_left_out_as_one_load_leaves_it_out(files, tmp_path):
    """The republished file among the second part's files: the part is loaded again without it,
    so the ids after it are those one load gives."""
    named = {p.name: p for p in files}
    order = [named[n] for n in ("goteborg_2023-03.csv", "goteborg_2023-05.csv", "goteborg_2023-03_publicerad_igen.csv",
                                "goteborg_2023-04.csv")]
    load(tmp_path / "openup.db", order)
    assert run_openup("shard", "--db", tmp_path / "openup.db", tmp_path / "hel").exit_code == 0
    result = run_openup("build", "--out", tmp_path / "ut", "--workers", "2", *order)
    assert result.exit_code == 0, result.output
    assert ("goteborg_2023-03_publicerad_igen.csv: överhoppad, samma rader som redan inlästa goteborg_2023-03.csv"
            in result.output)
    assert_same_tables(published(tmp_path / "ut"), published(tmp_path / "hel"))


def test_a_build_of_one_part_links_its_flags_to_the_published_name(files, whole, tmp_path):
    result = run_openup("build", "--out", tmp_path / "ut", "--workers", "1", *files)
    assert result.exit_code == 0, result.output
    built = published(tmp_path / "ut")
    with sqlite3.connect(built[0]) as conn:
        links = [link for (link,) in conn.execute("SELECT rader_url FROM flaggor")]
    assert links and all(link.startswith("/openup/leverantorsreskontra?") for link in links)
    assert_same_tables(built, whole)


def test_two_files_without_rows_are_not_the_same_file(tmp_path):
    """Every row in another currency: each file is loaded, with no rows, its rejected lines kept."""
    rows = agency_rows(BUYER)
    paths = [write_agency_file(tmp_path / f"{n}.csv", AGENCY_HEADER, [[*r[:6], "EUR", *r[7:]] for r in rows[n::2]])
             for n in range(2)]
    result = run_openup("load", "--db", tmp_path / "openup.db", "--max-rejected", "1", *paths)
    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "openup.db") as conn:
        assert conn.execute("SELECT filnamn, rader_inlasta, rader_avvisade FROM kallfiler ORDER BY id").fetchall() \
            == [("0.csv", 0, 20), ("1.csv", 0, 20)]
