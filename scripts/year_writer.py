"""`python -m openup.year_writer ORDER`: a year's database and Parquet file, written by a process
of its own while others write other years (shards.py). ORDER is the pickled YearTask that the
process writing the national database left for it."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path


def main(order: Path) -> None:
    pickle.loads(order.read_bytes()).write()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
