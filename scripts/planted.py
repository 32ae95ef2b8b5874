"""A ledger with planted cases for every indicator, and near misses it must not flag.

Two buyers: A spends evenly over many suppliers (the background), B buys mostly from one
supplier and spends heavily in the last week of the year. Supplier numbers are synthetic.
The tests load it with real buyers; `openup sample` writes it for two made-up buyers
(SAMPLE_BUYERS), and the patterns benchmark scores every indicator against EXPECTED.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .columns import SPEC_COLUMNS
from .synthetic import synthetic_municipality_orgnr, synthetic_orgnr

A = ("212000-1355", "Göteborgs Stad")
B = ("212000-1967", "Örebro kommun")


class Ledger:
    def __init__(self, seed: int = 4):
        self.rng = random.Random(seed)
        self.lines: list[list[str]] = []
        self.voucher = 1000
        self.suppliers: dict[str, str] = {}

    def supplier(self, label: str) -> str:
        return self.suppliers.setdefault(label, synthetic_orgnr(self.rng))

    def booking(self, buyer, name: str, supplier_id: str, day: str, amount: float) -> None:
        """One line of one invoice, the supplier named and numbered as given."""
        self.voucher += 1
        self.lines.append([*buyer, str(self.voucher), name, supplier_id, "6420", "Konsulttjänster", day,
                           "Stadsledning", f"F{self.voucher}", f"{amount:.2f}", "", "", "", ""])

    def invoice(self, buyer, label: str, day: str, amount: float, number: str | None = None,
                contract: str = "", accounts: int = 1) -> None:
        self.voucher += 1
        share = round(amount / accounts, 2)
        for part in range(accounts):
            value = share if part < accounts - 1 else round(amount - share * (accounts - 1), 2)
            self.lines.append([*buyer, str(self.voucher), f"{label} AB", self.supplier(label),
                               str(6420 + part), "Konsulttjänster", day, "Stadsledning",
                               number or f"F{self.voucher}", f"{value:.2f}", "", contract, "", ""])

    def write(self, path: Path) -> Path:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(SPEC_COLUMNS)
            writer.writerows(self.lines)
        return path


def days(year: int):
    day = dt.date(year, 1, 1)
    while day.year == year:
        yield day.isoformat()
        day += dt.timedelta(days=1)


def planted_ledger(a: tuple[str, str] = A, b: tuple[str, str] = B) -> Ledger:
    """The planted cases and their background, at buyers a and b (EXPECTED names the cases)."""
    ledger = Ledger()
    rng = ledger.rng
    # Background: A buys from 30 suppliers, evenly, with amounts that follow Benford's law;
    # B buys a little from the same suppliers (so none of them has one buyer).
    for year in (2021, 2022, 2023):
        for n in range(60):
            for month in range(1, 13):
                for day in (3 + n % 10, 15 + n % 10):
                    amount = round(10 ** rng.uniform(2, 5), 2)  # three whole decades: Benford
                    ledger.invoice(a, f"Bakgrund {n}", f"{year}-{month:02d}-{day:02d}", amount)
            ledger.invoice(b, f"Bakgrund {n}", f"{year}-06-15", 500.0)
    # direktupphandling: over the limit with no contract; near misses under it or with a contract.
    ledger.invoice(a, "Över gränsen", "2023-03-10", 750_000)
    ledger.invoice(a, "Under gränsen", "2023-03-10", 699_000)
    ledger.invoice(a, "Med avtal", "2023-04-10", 400_000, contract="AVT-7")
    ledger.invoice(a, "Med avtal", "2023-05-10", 400_000)
    ledger.invoice(a, "Över 2021", "2021-05-10", 620_000)  # 2021 limit 615 312
    ledger.invoice(a, "Under 2022", "2022-05-10", 650_000)  # 2022's highest limit 700 000
    # delade-fakturor: three just under the limit within 20 days; near misses far apart, lower.
    for day, amount in (("2023-09-01", 680_000), ("2023-09-08", 690_000), ("2023-09-20", 695_000)):
        ledger.invoice(a, "Delad", day, amount, contract="AVT-9")
    ledger.invoice(a, "Glest", "2023-01-05", 680_000, contract="AVT-10")
    ledger.invoice(a, "Glest", "2023-04-05", 690_000, contract="AVT-10")
    ledger.invoice(a, "Lägre", "2023-10-01", 650_000, contract="AVT-11")
    ledger.invoice(a, "Lägre", "2023-10-02", 650_000, contract="AVT-11")
    for label in ("Delad", "Glest", "Lägre"):
        ledger.invoice(b, label, "2023-06-15", 100.0)
    # dubbletter: same amount and day, two numbers; near miss on different days.
    ledger.invoice(a, "Dubbel", "2023-02-14", 48_312.50, number="10234")
    ledger.invoice(a, "Dubbel", "2023-02-14", 48_312.50, number="10234-1")
    ledger.invoice(a, "Olika dagar", "2023-02-14", 12_500.00, number="777")
    ledger.invoice(a, "Olika dagar", "2023-03-14", 12_500.00, number="778")
    # jamna-belopp: six invoices of round thousands; near miss with only three.
    for month in range(1, 7):
        ledger.invoice(a, "Jämn", f"2023-{month:02d}-20", 50_000)
    for month in range(1, 4):
        ledger.invoice(a, "Få jämna", f"2023-{month:02d}-21", 20_000)
    for label in ("Dubbel", "Olika dagar", "Jämn", "Få jämna"):
        ledger.invoice(b, label, "2023-06-15", 100.0)
    # en-kopare: a large supplier of A only; near misses with a second buyer, or small.
    ledger.invoice(a, "Ensam", "2023-06-01", 600_000, contract="AVT-12", accounts=3)
    ledger.invoice(a, "Ensam", "2023-07-01", 600_000, contract="AVT-12")
    ledger.invoice(a, "Två köpare", "2023-06-01", 2_000_000, contract="AVT-13")
    ledger.invoice(b, "Två köpare", "2023-06-01", 10_000)
    ledger.invoice(a, "Liten", "2023-06-01", 500_000, contract="AVT-14")
    # koncentration, arsslut and benford at B in 2023: one dominant supplier, every day of the
    # year, ten times as much in the last week; every amount begins with 1.
    for day in days(2023):
        amount = 100_000 if day >= "2023-12-25" else 10_000
        ledger.invoice(b, "Dominant", day, amount)
    ledger.invoice(a, "Dominant", "2023-06-15", 100.0)
    # A names a contract on a row of 2021, so that direktupphandling can assess its 2021.
    ledger.invoice(a, "Bakgrund 0", "2021-05-11", 1_234.56, contract="AVT-21")
    return ledger


SAMPLE_BUYERS = ((synthetic_municipality_orgnr(901), "Provkommun A (planterade fall)"),
                 (synthetic_municipality_orgnr(902), "Provkommun B (planterade fall)"))


@dataclass(frozen=True)
class Cases:
    """What an indicator must flag (positives) and must not (near misses). Cases are supplier
    labels, or for indicators of a buyer's year ("A" or "B", year)."""

    positives: frozenset
    near_misses: frozenset
    buyer: str = ""  # the hits counted are this buyer's ("A" or "B"), if set


def _cases(positives: Iterable, near_misses: Iterable, buyer: str = "") -> Cases:
    return Cases(frozenset(positives), frozenset(near_misses), buyer)


_YEARS = (2021, 2022, 2023)
EXPECTED = {
    "direktupphandling": _cases({"Över gränsen", "Över 2021"},
                                {"Under gränsen", "Med avtal", "Under 2022", "Delad"}, buyer="A"),
    "delade-fakturor": _cases({"Delad"}, {"Glest", "Lägre"}),
    "dubbletter": _cases({"Dubbel"}, {"Olika dagar"}),
    "jamna-belopp": _cases({"Jämn"}, {"Få jämna"}, buyer="A"),
    "en-kopare": _cases({"Ensam"}, {"Två köpare", "Liten", "Dominant"}),
    "koncentration": _cases({("B", 2023)}, {("A", 2023)}),
    "arsslut": _cases({("B", 2023)}, {("A", y) for y in _YEARS}),
    "benford": _cases({("B", 2023)}, {("A", y) for y in _YEARS}),
}


def _case(hit: dict, cases: Cases, letters: dict[str, str], labels: dict[str, str]) -> object:
    """The case a hit is about, in EXPECTED's terms; None for a hit outside the planted ledger."""
    if isinstance(next(iter(cases.positives)), tuple):  # a buyer's year
        letter = letters.get(hit.get("kopare_id"))
        return (letter, hit["ar"]) if letter else None
    return labels.get(hit.get("leverantor_id"))


def score(slug: str, hits: list[dict], ledger: Ledger, buyers) -> dict:
    """Recall and precision of an indicator's hits on the planted cases: found positives over
    positives, and found positives over found positives and flagged near misses."""
    cases = EXPECTED[slug]
    letters = {buyers[0][0]: "A", buyers[1][0]: "B"}
    labels = {number: label for label, number in ledger.suppliers.items()}
    flagged = {_case(hit, cases, letters, labels) for hit in hits
               if not cases.buyer or letters.get(hit.get("kopare_id")) == cases.buyer}
    found, false = cases.positives & flagged, cases.near_misses & flagged
    return {"indikator": slug, "positiva": len(cases.positives), "hittade": len(found),
            "nara_missar": len(cases.near_misses), "flaggade_nara_missar": len(false),
            "recall": len(found) / len(cases.positives),
            "precision": len(found) / (len(found) + len(false)) if found or false else None,
            "missade": sorted(map(str, cases.positives - flagged)),
            "felaktigt_flaggade": sorted(map(str, false))}
