"""Small ledger files written by the tests themselves (synthetic, no real person's data)."""

from __future__ import annotations

import random
from pathlib import Path

from openup.profiles import SPEC_COLUMNS
from openup.synthetic import synthetic_orgnr

BUYER = ("212000-1355", "Göteborgs Stad")


def v11_lines(count: int, seed: int = 1, month: str = "2023-01") -> list[str]:
    rng = random.Random(seed)
    lines = [";".join(SPEC_COLUMNS)]
    for n in range(count):
        lines.append(";".join([*BUYER, str(1000 + n), f"Leverantör {n % 7} AB", synthetic_orgnr(rng),
                               "6420", "Konsulttjänster", f"{month}-{1 + n % 28:02d}", "Stadsledning",
                               str(50_000 + n), f"{rng.randint(100, 99_999)}.{n % 100:02d}",
                               "", "", "1480", ""]))
    return lines


def v11_objects(count: int) -> list[dict[str, str]]:
    """The same rows as JSON objects keyed by the specification's column names."""
    header, *lines = v11_lines(count)
    return [dict(zip(header.split(";"), line.split(";"))) for line in lines]


def write_v11(path: Path, count: int = 50, seed: int = 1, month: str = "2023-01") -> Path:
    path.write_text("\n".join(v11_lines(count, seed, month)) + "\n", "utf-8")
    return path
