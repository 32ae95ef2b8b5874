"""`openup build`: a national instance from its files, loaded in parallel processes.

The files are split, in their order, into as many parts as there are workers, each of about the
same size; each part is loaded into a work database of its own by an `openup load` process, and
the parts are then merged and split as `openup shard` does (scripts/shards.py, national.py). The
published files are those that one load of every file, in the same order, and `openup shard`
give. The parts are the build's own: in a folder beside the published files, removed after.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from itertools import accumulate
from pathlib import Path


def parts_folder(out: Path, name: str) -> Path:
    return out / f".bygge_{name}"


def split_by_size(files: list[Path], parts: int) -> list[list[Path]]:
    """files in order, in as many runs as parts (or files) of about equal bytes: a run starts at
    the file whose middle passes its share of the whole."""
    count = min(parts, len(files))
    sizes = [max(1, path.stat().st_size) for path in files]
    middles = [end - size / 2 for end, size in zip(accumulate(sizes), sizes)]
    starts = [0]
    for run in range(1, count):
        start = next((i for i, middle in enumerate(middles) if middle > sum(sizes) * run / count), len(files))
        starts.append(min(max(start, starts[-1] + 1), len(files) - (count - run)))
    return [files[start:end] for start, end in zip(starts, [*starts[1:], len(files)])]


def load_parts(groups: list[list[Path]], folder: Path, load_options: list[str]) -> tuple[list[Path], list[str], bool]:
    """Each group loaded into a work database of its own in folder, all at once, by `openup load`
    processes: the databases, each process's output, and whether every file was loaded."""
    shutil.rmtree(folder, ignore_errors=True)  # of a build that was stopped
    folder.mkdir(parents=True)
    databases = [folder / f"del_{number:03d}.db" for number in range(len(groups))]
    loads = [subprocess.Popen([sys.executable, "-m", "openup", "load", "--db", str(database), *load_options,
                               *map(str, group)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for database, group in zip(databases, groups)]
    try:
        outputs = [load.communicate()[0] for load in loads]
    finally:
        for load in loads:  # stopped (Ctrl-C): so are the loads, each rolled back
            if load.poll() is None:
                load.terminate()
                load.wait()
    return databases, outputs, all(load.returncode == 0 for load in loads)
