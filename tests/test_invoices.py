"""An invoice is its buyer, supplier, number and voucher, wherever its rows stand in the file;
possible double payments are found from invoices so defined."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from urllib.parse import urlsplit

import pytest
from openup import rawframes, sources, summaries
from openup.synthetic import synthetic_personnummer
from openup_plugins.instance import make_datasette

from .planted import A, Ledger, load_ledger

# The columns of an invoice that do not depend on where its rows stand in the file.
INVOICE = ("SELECT kopare_id, leverantor_nyckel, CASE WHEN fakturanyckel LIKE 'rad:%' THEN '' "
           "ELSE fakturanyckel END, verifikationsnummer, fakturanummer, bokforingsdatum, "
           "datum_precision, ar, summa, konteringar, har_avtal FROM fakturor")


def _ledger() -> Ledger:
    ledger = Ledger(seed=12)
    rng = random.Random(5)
    for n in range(40):  # background, some invoices booked over several accounts
        ledger.invoice(A, f"Leverantör {n % 6}", f"2023-0{1 + n % 9}-1{n % 9}", 1000 + 37 * n,
                       accounts=1 + n % 3)
    ledger.invoice(A, "Dubbelbokad", "2023-04-03", 48_312.50, number="55501")  # adjacent rows:
    ledger.invoice(A, "Dubbelbokad", "2023-04-03", 48_312.50, number="55501")  # two vouchers
    ledger.invoice(A, "Dubbelbokad", "2023-04-03", 700, number="55502")  # the same day, not a double
    ledger.invoice(A, "Flera konton", "2023-04-05", 90_000, number="7001", accounts=3)
    for n in range(2):  # invoice numbers that are personal numbers: masked, never matched
        ledger.invoice(A, "Maskerad", f"2023-05-0{1 + n}", 20_000 + n, number=synthetic_personnummer(rng))
    for number in ("M1", "M2"):  # the same amount in the same month, dated by month only
        ledger.invoice(A, "Månadsdatum", "202306", 15_000, number=number)
    return ledger


def _load(tmp_path, name: str, lines: list[list[str]]):
    ledger = Ledger()
    ledger.lines = lines
    return load_ledger(tmp_path, ledger, name)


def _invoices(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute(INVOICE).fetchall(), key=repr)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("invoices")
    return tmp_path, _ledger(), _load(tmp_path, "as_published", _ledger().lines)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_order_of_the_lines_gives_the_same_invoices(loaded, seed, monkeypatch):
    """In small windows too, so an invoice's rows far apart in the file meet only in the table."""
    for module, name, value in ((summaries, "_CHUNK_ROWS", 7), (rawframes, "READ_BYTES", 100),
                                (sources, "RECORDS_PER_BATCH", 3)):
        monkeypatch.setattr(module, name, value)
    tmp_path, ledger, db = loaded
    shuffled = list(ledger.lines)
    random.Random(seed).shuffle(shuffled)
    assert _invoices(_load(tmp_path, f"shuffled{seed}", shuffled)) == _invoices(db)


def test_one_invoice_per_number_and_voucher(loaded):
    _, _, db = loaded
    with sqlite3.connect(db) as conn:
        doubled = conn.execute("SELECT count(*), sum(summa) FROM fakturor WHERE fakturanummer = '55501'").fetchone()
        spread = conn.execute("SELECT count(*), konteringar, summa FROM fakturor WHERE fakturanummer = '7001'").fetchone()
    assert doubled == (2, 96_625.0)
    assert spread == (1, 3, 90_000.0)


@pytest.fixture(scope="module")
def duplicate_hits(loaded):
    _, _, db = loaded
    datasette = make_datasette([db])

    async def fetch():
        response = await datasette.client.get("/inkop/flaggor/dubbletter.json", params={"_size": "1000"})
        assert response.status_code == 200, response.text
        hits = response.json()["rows"]
        behind = []
        for hit in hits:
            url = urlsplit(hit["rader_url"])
            rows = await datasette.client.get(f"{url.path}.json?{url.query}&_shape=array&_size=max")
            behind.append(rows.json())
        return hits, behind

    return asyncio.run(fetch())


def test_a_number_booked_under_two_vouchers_is_found_and_nothing_else(duplicate_hits):
    hits, _ = duplicate_hits
    assert [(h["typ"], h["summa"], h["belopp"], h["fakturor"]) for h in hits] == [
        ("samma fakturanummer bokfört flera gånger", 96_625.0, 48_312.5, 2)]


def test_each_hits_link_opens_exactly_its_rows(duplicate_hits):
    hits, behind = duplicate_hits
    for hit, rows in zip(hits, behind):
        assert len(rows) == 2 and {r["fakturanummer"] for r in rows} == {"55501"}
        assert round(sum(r["nettobelopp"] for r in rows), 2) == hit["summa"]
