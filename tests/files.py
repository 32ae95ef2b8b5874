"""Small ledger files written by the tests themselves (synthetic, no real person's data)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from openup.columns import SPEC_COLUMNS
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


# A state agency's quarterly export (the shape formats.md gives for Myndigheten för digital
# förvaltning): v1.0 names for date, invoice number and amount beside v1.1's buyer columns.
AGENCY_HEADER = ["datum", "faktura_nr", "faktura_typ", "leverantor_id", "leverantor", "belopp",
                 "valuta", "kopare_id", "kopare"]
V11_NAMES = {"datum": "bokforingsdatum", "faktura_nr": "fakturanummer", "belopp": "nettobelopp"}


def agency_rows(buyer: tuple[str, str], count: int = 40, seed: int = 3) -> list[list[str]]:
    """Rows in AGENCY_HEADER's order: most in SEK, every seventh in EUR or USD, and one credit
    note published with a positive amount."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        currency = "SEK" if n % 7 else ("EUR", "USD")[n % 2]
        kind = "CREDIT" if n % 10 == 9 else "NORMAL"
        ore = rng.randint(1_000, 9_999_999) * (-1 if kind == "CREDIT" and n != 9 else 1)
        amount = f"{'-' if ore < 0 else ''}{abs(ore) // 100},{abs(ore) % 100:02d}"
        rows.append([f"2024-{1 + n % 3:02d}-{1 + n % 27:02d}", str(700_000 + n), kind,
                     synthetic_orgnr(rng), f"Leverantör {n % 9} AB", amount, currency, *buyer])
    return rows


def write_agency_file(path: Path, header: list[str], rows: list[list[str]], trailing_empty: int = 3) -> Path:
    """UTF-8 with BOM, `;`, ending in lines that hold only delimiters, as a spreadsheet writes it."""
    lines = [";".join(header), *(";".join(r) for r in rows), *([";" * (len(header) - 1)] * trailing_empty)]
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def copy_with_planted_lines_shuffled(sample_dir: Path, folder: Path, seed: int) -> list[Path]:
    """The sample's files copied into folder, the planted file's lines (of three years) shuffled:
    the copies, in order."""
    folder.mkdir(exist_ok=True)
    for path in sorted(sample_dir.iterdir()):
        if path.name.startswith("planterade"):
            header, *lines = path.read_text("utf-8").splitlines()
            random.Random(seed).shuffle(lines)
            (folder / path.name).write_text("\n".join([header, *lines]) + "\n", "utf-8")
        else:
            shutil.copy(path, folder / path.name)
    return sorted(folder.iterdir())
