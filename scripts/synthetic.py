"""A synthetic but realistic world of buyers, suppliers and invoices, deterministic for a seed.

Nothing here belongs to a real person: sole traders get personnummer made up on the spot
(valid date and check digit, so that masking is exercised), supplier names are combinations of
common words. Buyers are real public bodies, whose organisation numbers are public.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from stdnum import luhn


@dataclass(frozen=True)
class Buyer:
    orgnr: str
    name: str
    kommun_id: str
    units: tuple[str, ...]


@dataclass(frozen=True)
class Supplier:
    id: str  # as the publisher would print it: an orgnr, a personnummer, a VAT number or ""
    name: str
    sole_trader: bool = False


@dataclass
class Invoice:
    buyer: Buyer
    supplier: Supplier
    number: str
    voucher: str
    date: dt.date
    unit: str
    lines: list[tuple[str, str, int]] = field(default_factory=list)  # konto, text, öre
    contract: str = ""


BUYERS = {
    "goteborg": Buyer("212000-1355", "Göteborgs Stad", "1480", (
        "400 - Stadsmiljönämnden", "410 - Förskolenämnden", "420 - Grundskolenämnden",
        "430 - Socialnämnden Centrum", "440 - Kulturnämnden")),
    "orebro": Buyer("212000-1967", "Örebro kommun", "1880", (
        "KOMMUNSTYRELSEFÖRVALTNINGEN", "FÖRSKOLEFÖRVALTNINGEN", "TEKNISKA FÖRVALTNINGEN",
        "VÅRD- OCH OMSORGSFÖRVALTNINGEN")),
    "umea": Buyer("212000-2627", "Umeå kommun", "2480", (
        "Individ- och familjeomsorgen", "Fritid", "Gator och parker", "Äldreomsorgen")),
    "vgr": Buyer("232100-0131", "Västra Götalandsregionen", "", (
        "Sahlgrenska Universitetssjukhuset", "Regionservice", "Västtrafik", "Folktandvården")),
    "vasteras": Buyer("212000-2080", "Västerås stad", "1980", (
        "Barn- och ungdomsnämnden", "Tekniska nämnden", "Kulturnämnden")),
    "stockholm": Buyer("212000-0142", "Stockholms stad", "0180", (
        "Stadsledningskontoret", "Utbildningsförvaltningen", "Trafikkontoret",
        "Socialförvaltningen")),
}

ACCOUNTS = (
    ("4010", "Inköp av material och varor"), ("4630", "Köp av verksamhet från privata företag"),
    ("5130", "El"), ("5150", "Fjärrvärme"), ("5160", "Vatten och avlopp"),
    ("5220", "Hyra av maskiner"), ("5410", "Förbrukningsinventarier"),
    ("5460", "Förbrukningsmaterial"), ("5611", "Livsmedel"), ("5810", "Resekostnader"),
    ("6110", "Kontorsmaterial"), ("6212", "Mobiltelefoni"), ("6310", "Städtjänster"),
    ("6410", "Revision"), ("6420", "Konsulttjänster"), ("6550", "IT-tjänster"),
    ("6580", "Programlicenser"), ("6720", "Annonser"), ("7010", "Reparation och underhåll"),
    ("7610", "Utbildning"),
)

_FIRST = ("Nordisk", "Svensk", "Väst", "Norr", "Skandinavisk", "Mälar", "Berg", "Sjö", "Stads",
          "Kust", "Lind", "Ek", "Alm", "Björk", "Fjäll", "Dal", "Äng", "Hav", "Sol", "Gran")
_SECOND = ("bygg", "städ", "data", "konsult", "el", "rör", "transport", "mat", "vård", "trä",
           "tryck", "kontor", "skog", "energi", "media", "säkerhet", "måleri", "teknik")
_FORM = ("AB", "AB", "AB", "Aktiebolag", "HB", "& Co AB", "Service AB", "Sverige AB")
_PLACES = ("Väst", "Öst", "Norr", "Syd", "Mitt", "i Göteborg", "i Umeå", "i Örebro", "Stockholm")
_GIVEN = ("Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Per", "Sara", "Nils")
_FAMILY = ("Berg", "Lind", "Holm", "Ek", "Strand", "Dahl", "Sjöberg", "Nyström", "Falk")
_TRADES = ("Konsult", "Måleri", "Snickeri", "Foto", "Musik", "Trädgård", "Städ", "Design")


def _with_check_digit(nine_digits: str) -> str:
    return nine_digits + luhn.calc_check_digit(nine_digits)


def synthetic_orgnr(rng: random.Random) -> str:
    digits = _with_check_digit("55" + str(rng.randint(6, 9)) + f"{rng.randrange(10**6):06d}")
    return f"{digits[:6]}-{digits[6:]}"


def synthetic_municipality_orgnr(number: int) -> str:
    """A municipality-shaped organisationsnummer (212000-NNNC) with a valid check digit."""
    digits = _with_check_digit(f"212000{number:03d}")
    return f"{digits[:6]}-{digits[6:]}"


def synthetic_personnummer(rng: random.Random, coordination: bool = False) -> str:
    """A made-up personnummer (or samordningsnummer) with a valid date and check digit."""
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(18_000))
    day = birth.day + (60 if coordination else 0)
    digits = _with_check_digit(f"{birth:%y%m}{day:02d}{rng.randrange(1000):03d}")
    return f"{digits[:6]}-{digits[6:]}"


def make_suppliers(rng: random.Random, count: int) -> list[Supplier]:
    suppliers: list[Supplier] = []
    for index in range(count):
        roll = rng.random()
        if roll < 0.04:
            name = f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)} {rng.choice(_TRADES)}"
            suppliers.append(Supplier(synthetic_personnummer(rng, rng.random() < 0.1), name, True))
        elif roll < 0.06:
            suppliers.append(Supplier(f"DK{rng.randrange(10**8):08d}",
                                      f"{rng.choice(_FIRST)}{rng.choice(_SECOND)} ApS"))
        else:
            name = f"{rng.choice(_FIRST)}{rng.choice(_SECOND)} {rng.choice(_FORM)}"
            if index % 5 == 0:
                name = name.replace(" ", f" {rng.choice(_PLACES)} ", 1)
            suppliers.append(Supplier(synthetic_orgnr(rng), name))
    return suppliers


def _amount_ore(rng: random.Random) -> int:
    amount = min(rng.lognormvariate(8.3, 1.5), 3_000_000)
    if rng.random() < 0.05:
        amount = round(amount, -3) or 1000  # round amounts exist in real ledgers
    return round(amount * 100)


def invoices(rng: random.Random, buyer: Buyer, suppliers: list[Supplier], year: int,
             month: int, count: int, first_voucher: int) -> Iterator[Invoice]:
    """count invoices of buyer booked in one month; Zipf-like supplier popularity."""
    days = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.date(year, month, 1)).days
    weights = [(0.2 if s.sole_trader else 1) / (rank + 1) for rank, s in enumerate(suppliers)]
    chosen = rng.choices(suppliers, weights, k=count)
    for index, supplier in enumerate(chosen):
        invoice = Invoice(
            buyer, supplier, number=str(rng.randrange(10**5, 10**10)),
            voucher=str(first_voucher + index), date=dt.date(year, month, rng.randint(1, days)),
            unit=rng.choice(buyer.units),
            contract=f"AVT-{rng.randrange(1000, 9999)}" if rng.random() < 0.3 else "",
        )
        total = _amount_ore(rng) * (-1 if rng.random() < 0.02 else 1)  # credit notes
        parts = 1 if rng.random() < 0.8 else rng.randint(2, 3)  # several konteringar
        for part in range(parts):
            konto, text = rng.choice(ACCOUNTS)
            share = total // parts if part < parts - 1 else total - (total // parts) * (parts - 1)
            invoice.lines.append((konto, text, share))
        yield invoice
