"""Several work databases as parts of one instance (openup shard --db A --db B, openup build):
the published files are those one database of the same files, loaded in the same order, gives."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from openup import shards
from openup.build import split_by_size
from openup.schema import BUYERS, SOURCE_FILES
from openup.shards import NATIONAL_TABLES, YEAR_TABLES

from .conftest import run_openup
from .files import BUYER, copy_with_planted_lines_shuffled, write_v11

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
    """The files loaded into one work database, then split."""
    folder = tmp_path_factory.mktemp("whole")
    load(folder / "openup.db", files)
    assert run_openup("shard", "--db", folder / "openup.db", folder / "ut").exit_code == 0
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
    result = run_openup("shard", *(a for part in parts for a in ("--db", part)), "--name", "openup", tmp_path / "ut")
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


@pytest.mark.parametrize("newer_first", [True, False], ids=["newer file first", "older file first"])
def test_a_renamed_buyer_has_the_name_of_its_latest_rows_whichever_part_holds_them(tmp_path, newer_first):
    older = tmp_path / "2022.csv"
    older.write_text(write_v11(tmp_path / "x.csv", month="2022-06", seed=2).read_text("utf-8").replace(
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
        assert conn.execute("SELECT kopare, forsta_datum FROM kopare").fetchall() == [(BUYER[1], "2022-06-01")]


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


def test_a_builds_part_is_removed_once_its_years_are_written(tmp_path, monkeypatch):
    """The rows are on disk twice only a year at a time: the part of 2021 is gone before 2022 is
    written, and so on; the published files are complete."""
    parts = []
    for number, year in enumerate((2021, 2022, 2023)):
        parts.append(tmp_path / f"del{number}.db")
        load(parts[-1], [write_v11(tmp_path / f"{year}.csv", month=f"{year}-05", seed=number)])
    present = {}
    write_year = shards._write_year

    def recorded(path, summaries, national, year, *args):
        present[year] = [part.name for part in parts if part.exists()]
        return write_year(path, summaries, national, year, *args)
    monkeypatch.setattr(shards, "_write_year", recorded)
    result = shards.write_shards(parts, tmp_path / "ut", "openup", own_parts=True)
    assert present == {2021: ["del0.db", "del1.db", "del2.db"], 2022: ["del1.db", "del2.db"], 2023: ["del2.db"]}
    assert not any(part.exists() for part in parts)
    assert [p.name for p in result.written] == [f"openup_{y}{suffix}" for y in (2021, 2022, 2023)
                                                for suffix in (".db", ".parquet")]
