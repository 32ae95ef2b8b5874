"""`openup export`: files an agency can republish as they are, one folder per buyer.

Each buyer gets a SQLite file of its rows and one CSV per calendar year (the national
specification recommends a dataset per year), both in the specification's own columns.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from .columns import PUBLISHED_COLUMNS


def export_buyers(database: Path, out_dir: Path) -> list[Path]:
    """Write out_dir/<orgnr>/leverantorsreskontra_<orgnr>.db and ..._<orgnr>_<year>.csv for every
    buyer: named by buyer and year, a downloaded file still says whose and which it is."""
    written: list[Path] = []
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    columns = ", ".join(PUBLISHED_COLUMNS)
    buyers = [r[0] for r in source.execute("SELECT kopare_id FROM kopare ORDER BY kopare_id")]
    for buyer in buyers:
        folder = out_dir / buyer
        folder.mkdir(parents=True, exist_ok=True)
        years = [r[0] for r in source.execute(
            "SELECT DISTINCT ar FROM kopare_leverantor_manad WHERE kopare_id = ? ORDER BY ar", [buyer])]
        for year in years:
            path = folder / f"leverantorsreskontra_{buyer}_{year}.csv"
            temporary = path.with_suffix(".csv.tmp")
            with temporary.open("w", newline="", encoding="utf-8") as handle:
                published_csv_writer(handle).writerows(source.execute(
                    f"SELECT {columns} FROM leverantorsreskontra WHERE kopare_id = ? AND "
                    "bokforingsdatum BETWEEN ? AND ? ORDER BY bokforingsdatum, id",
                    [buyer, f"{year}-01-01", f"{year}-12-31"]))
            temporary.replace(path)
            written.append(path)
        written.append(_buyer_database(source, buyer, folder / f"leverantorsreskontra_{buyer}.db"))
    source.close()
    return written


def published_csv_writer(handle):
    """A CSV writer whose file starts with the header of the files Open Up publishes (the
    specification's columns, then datum_precision): what `openup export` and the validator's
    converted file write."""
    writer = csv.writer(handle)
    writer.writerow(PUBLISHED_COLUMNS)
    return writer


def _buyer_database(source: sqlite3.Connection, buyer: str, path: Path) -> Path:
    temporary = path.with_suffix(".db.tmp")
    temporary.unlink(missing_ok=True)
    target = sqlite3.connect(temporary)
    target.execute(f"CREATE TABLE leverantorsreskontra ({', '.join(PUBLISHED_COLUMNS)})")
    target.executemany(
        f"INSERT INTO leverantorsreskontra VALUES ({', '.join('?' * len(PUBLISHED_COLUMNS))})",
        source.execute(f"SELECT {', '.join(PUBLISHED_COLUMNS)} FROM leverantorsreskontra "
                       "WHERE kopare_id = ? ORDER BY bokforingsdatum, id", [buyer]))
    target.commit()
    target.close()
    temporary.replace(path)
    return path
