"""`openup build`: a national instance from its files, loaded in parallel processes.

The files are split, in their order, into parts of about the same size: a part per file, but
none much under PART_BYTES unless that would give fewer parts than workers. Each part is loaded
into a work database of its own by an `openup load` process, as many at once as there are
workers, and the parts are then merged and split as `openup shard` does (shards.py,
national.py). A part of one file is loaded as a first load, which writes its rows once; files
added to a loaded database are not (five 1M-row files into one database: 9.6 s for the first,
then 23 to 34 s each, growing with the database). The published files are those that one load
of every file, in the same order, and `openup shard` give. The parts are the build's own: in a
folder beside the published files, removed once their years are written.
"""

from __future__ import annotations

import math
import shutil
import sys
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from .national import Repeated, repeated_files
from .processes import run_all


PART_BYTES = 64 << 20  # of files, about half a million rows of the specification's CSV


def parts_folder(out: Path, name: str) -> Path:
    return out / f".bygge_{name}"


def part_count(files: list[Path], workers: int) -> int:
    """How many parts files are loaded in: one per file, but none much under PART_BYTES, and
    no fewer than workers."""
    total = sum(path.stat().st_size for path in files)
    return min(len(files), max(workers, math.ceil(total / PART_BYTES)))


def split_by_size(files: list[Path], parts: int) -> list[list[Path]]:
    """files in order, in as many runs as parts (or files) of about equal bytes: a run starts at
    the file whose middle passes its share of the whole."""
    count = min(parts, len(files))
    sizes = [max(1, path.stat().st_size) for path in files]
    middles = [end - size / 2 for end, size in zip(accumulate(sizes), sizes)]
    total, starts = sum(sizes), [0]
    for run in range(1, count):
        start = bisect_right(middles, total * run / count)
        starts.append(min(max(start, starts[-1] + 1), len(files) - (count - run)))
    return [files[start:end] for start, end in zip(starts, [*starts[1:], len(files)])]


@dataclass
class Loaded:
    """A build's parts as loaded: their databases in order, each load's output, the files taken
    out as one load would have skipped them, and whether every file was loaded."""

    parts: list[Path]
    outputs: list[str]
    skipped: list[Repeated]
    complete: bool


def load_in_parts(files: list[Path], folder: Path, load_options: list[str], workers: int) -> Loaded:
    """files loaded in parts (part_count), each into a work database of its own in folder by an
    `openup load` process, workers at a time. A part with a file an earlier part holds (the same
    bytes, or the same rows under another name) is loaded again without it, as one load of every
    file would have skipped it."""
    shutil.rmtree(folder, ignore_errors=True)  # of a build that was stopped
    folder.mkdir(parents=True)
    groups = split_by_size(files, part_count(files, workers))
    parts = [folder / f"del_{number:05d}.db" for number in range(len(groups))]
    outputs, complete = _load(list(zip(parts, groups)), load_options, workers)
    if not complete:
        return Loaded(parts, outputs, [], False)
    skipped = repeated_files(parts)
    again = sorted({repeat.part for repeat in skipped})
    for repeat in skipped:
        groups[repeat.part] = [path for path in groups[repeat.part] if path.name != repeat.name]
    for index in again:
        parts[index].unlink()
    _, complete = _load([(parts[index], groups[index]) for index in again if groups[index]], load_options, workers)
    return Loaded([part for part, group in zip(parts, groups) if group], outputs, skipped, complete)


def _load(parts: list[tuple[Path, list[Path]]], load_options: list[str], workers: int) -> tuple[list[str], bool]:
    """Each group of files loaded into its database, workers at a time, stopping at the first
    load that fails (each rolls back): each load's output (kept beside its database), and
    whether all loaded."""
    outputs, failed = run_all([([sys.executable, "-m", "openup", "load", "--db", str(database), *load_options,
                                 *map(str, group)], database.with_suffix(".log")) for database, group in parts], workers)
    return outputs, failed is None
