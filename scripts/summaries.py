"""Summary and reference tables, kept up to date file by file inside the file's transaction.

A file's rows are folded into FileAggregates while they stream past (no second pass over
the ledger, which at millions of rows costs more than the load itself). The totals are
additive: a loaded file adds them with sign +1, a replaced file takes them back with -1.
Reference tables (buyers, suppliers, accounts) are then recomputed for the keys touched.

Invoices (konteringar summed per buyer, supplier, invoice number and date) are grouped among
the last 100,000 open invoices of the file: exports list an invoice's konteringar together,
and a window keeps memory flat where a dict of every invoice would grow with the file.
"""

from __future__ import annotations

import sqlite3

from collections import Counter
from itertools import compress

from .identifiers import buyer_kind
from .places import coordinates
from .records import ROW_COLUMNS, Batch

_OPEN_INVOICES = 100_000  # invoices kept open in memory; the oldest half is written beyond
_OPEN_TOTALS = 200_000  # summary keys kept in memory before they are written
_FILLED_COLUMNS = ("verifikationsnummer", "leverantor_id", "konto_nr", "konto_text", "forvaltning",
                   "fakturanummer", "avtal")
QUALITY_COLUMNS = ("rader", *(f"med_{c}" for c in _FILLED_COLUMNS), "organisationsnummer",
                   "dagsdatum", "maskerade")
_KEYED_TYPES = frozenset({"organisationsnummer", "utlandskt_momsnummer"})

INSERT_INVOICES = """INSERT INTO {schema}.fakturor (kopare_id, leverantor_nyckel, fakturanyckel,
        bokforingsdatum, datum_precision, ar, summa, konteringar, har_avtal, forsta_kallrad, kallfil_id)
    VALUES (?, ?, ?, ?, ?, CAST(substr(?4, 1, 4) AS INTEGER), ? / 100.0, ?, ?, ?, ?)"""


class Totals:
    """Öre and row counts per key, added a batch at a time (the counting happens in C)."""

    def __init__(self) -> None:
        self.ore: dict[tuple, int] = {}
        self.rows: Counter = Counter()

    def add(self, keys: list[tuple], ore: list[int]) -> None:
        totals = self.ore
        get = totals.get
        for key, amount in zip(keys, ore):
            totals[key] = get(key, 0) + amount
        self.rows.update(keys)

    def items(self):
        rows = self.rows
        return ((key, ore, rows[key]) for key, ore in self.ore.items())


class FileAggregates:
    """Totals of one file's rows, folded in a batch at a time as the rows stream past.

    sign 1 adds a file being loaded (and writes its invoices); sign -1 takes back a file being
    replaced (its invoices go by kallfil_id). Totals are written out whenever they grow large,
    so memory stays flat whatever the size of the file."""

    def __init__(self, conn: sqlite3.Connection, file_id: int, sign: int = 1, schema: str = "main"):
        self.conn, self.file_id, self.sign = conn, file_id, sign
        self.insert_invoices = INSERT_INVOICES.format(schema=schema)
        self.buyers: set[str] = set()
        self.suppliers: set[str] = set()
        self.file_buyers: Counter = Counter()  # rows per buyer in this file
        self.invoices: dict[tuple, list] = {}
        self._new_totals()

    def _new_totals(self) -> None:
        self.supplier_month = Totals()
        self.supplier_month_name: dict[tuple, str] = {}
        self.supplier_month_contracts: Counter = Counter()
        self.account_month = Totals()
        self.unit_month = Totals()
        self.supplier_account = Totals()
        self.supplier_account_text: dict[tuple, str] = {}
        self.names: Counter = Counter()
        self.quality: dict[tuple, list[int]] = {}  # (buyer, year) -> counts in QUALITY_COLUMNS

    def add(self, batch: Batch) -> None:
        column, ore = batch.column, batch.ore
        buyer, date, contract = column("kopare_id"), column("bokforingsdatum"), column("avtal")
        months = [d[:7] for d in date]
        keys = list(zip(buyer, column("leverantor_nyckel"), months))
        self.supplier_month.add(keys, ore)
        self.supplier_month_name.update(zip(keys, column("leverantor")))
        self.supplier_month_contracts.update(compress(keys, contract))
        self.account_month.add(list(zip(buyer, column("konto_nr"), column("konto_text"), months)), ore)
        self.unit_month.add(list(zip(buyer, column("forvaltning"), months)), ore)
        account_keys = list(zip(column("leverantor_nyckel"), column("konto_nr")))
        self.supplier_account.add(account_keys, ore)
        self.supplier_account_text.update(zip(account_keys, column("konto_text")))
        keyed = [t in _KEYED_TYPES for t in column("leverantor_id_typ")]
        supplier_ids = list(compress(column("leverantor_id"), keyed))
        self.names.update(zip(supplier_ids, compress(column("leverantor"), keyed)))
        self.buyers.update(buyer)
        self.suppliers.update(supplier_ids)
        self._count_quality(batch, buyer, months)
        if self.sign > 0:
            self._add_invoices(batch, buyer, date, contract, ore)
        if len(self.supplier_month.ore) + len(self.supplier_account.ore) > _OPEN_TOTALS:
            self._write_totals()

    def _count_quality(self, batch: Batch, buyer, months) -> None:
        """How many rows carry each field, per buyer and year (for /inkop/kvalitet)."""
        keys = list(zip(buyer, [m[:4] for m in months]))
        columns = [None, *(batch.column(c) for c in _FILLED_COLUMNS),
                   [t == "organisationsnummer" for t in batch.column("leverantor_id_typ")],
                   [p == "dag" for p in batch.column("datum_precision")], batch.column("maskerad")]
        distinct = set(keys)
        if len(distinct) == 1:  # the usual batch: one buyer, one year; counted in C
            counts = self.quality.setdefault(keys[0], [0] * len(QUALITY_COLUMNS))
            for index, flags in enumerate(columns):
                counts[index] += len(keys) if flags is None else sum(map(bool, flags))
        else:
            for index, flags in enumerate(columns):
                counted = Counter(keys) if flags is None else Counter(compress(keys, flags))
                for key, count in counted.items():
                    self.quality.setdefault(key, [0] * len(QUALITY_COLUMNS))[index] += count
        self.file_buyers.update(buyer)

    def _add_invoices(self, batch: Batch, buyer, date, contract, ore) -> None:
        numbers = [i or v or f"rad:{line}" for i, v, line in zip(
            batch.column("fakturanummer"), batch.column("verifikationsnummer"), batch.lines)]
        keys = list(zip(buyer, batch.column("leverantor_nyckel"), numbers, date))
        totals = Totals()
        totals.add(keys, ore)
        first_line = dict(zip(reversed(keys), reversed(batch.lines)))
        precision = dict(zip(keys, batch.column("datum_precision")))
        with_contract = set(compress(keys, contract))
        invoices = self.invoices
        for key, amount, rows in totals.items():
            invoice = invoices.get(key)
            if invoice is None:
                invoices[key] = [precision[key], amount, rows, int(key in with_contract), first_line[key]]
            else:
                invoice[1] += amount
                invoice[2] += rows
                invoice[3] |= key in with_contract
        if len(invoices) > _OPEN_INVOICES:
            self._write_invoices(len(invoices) // 2)

    def _write_invoices(self, count: int) -> None:
        """Write the `count` oldest open invoices to fakturor."""
        items = list(self.invoices.items())
        file_id = self.file_id
        self.conn.executemany(self.insert_invoices,
                              [(*key, *value, file_id) for key, value in items[:count]])
        self.invoices = dict(items[count:])

    def _write_totals(self) -> None:
        """Add (or take back) the totals gathered so far in the summary tables."""
        conn, sign = self.conn, self.sign
        conn.executemany(
            """INSERT INTO kopare_leverantor_manad (kopare_id, leverantor_nyckel, leverantor, manad,
                ar, summa, rader, rader_med_avtal) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET summa = round(summa + excluded.summa, 2),
                rader = rader + excluded.rader, rader_med_avtal = rader_med_avtal + excluded.rader_med_avtal,
                leverantor = CASE WHEN excluded.rader > 0 THEN excluded.leverantor ELSE leverantor END""",
            [(b, k, self.supplier_month_name[(b, k, m)], m, int(m[:4]), sign * ore / 100,
              sign * rows, sign * self.supplier_month_contracts[(b, k, m)])
             for (b, k, m), ore, rows in self.supplier_month.items()])
        conn.executemany(
            """INSERT INTO kopare_konto_manad (kopare_id, konto_nr, konto_text, manad, ar, summa, rader)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET
                summa = round(summa + excluded.summa, 2), rader = rader + excluded.rader""",
            [(b, nr, text, m, int(m[:4]), sign * ore / 100, sign * rows)
             for (b, nr, text, m), ore, rows in self.account_month.items()])
        conn.executemany(
            """INSERT INTO kopare_forvaltning_manad (kopare_id, forvaltning, manad, ar, summa, rader)
            VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET
                summa = round(summa + excluded.summa, 2), rader = rader + excluded.rader""",
            [(b, unit, m, int(m[:4]), sign * ore / 100, sign * rows)
             for (b, unit, m), ore, rows in self.unit_month.items()])
        conn.executemany(
            """INSERT INTO leverantor_konto (leverantor_nyckel, konto_nr, konto_text, summa, rader)
            VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET summa = round(summa + excluded.summa, 2),
                rader = rader + excluded.rader,
                konto_text = CASE WHEN excluded.rader > 0 THEN excluded.konto_text ELSE konto_text END""",
            [(k, nr, self.supplier_account_text[(k, nr)], sign * ore / 100, sign * rows)
             for (k, nr), ore, rows in self.supplier_account.items()])
        conn.executemany(
            """INSERT INTO leverantorsnamn (leverantor_id, leverantor, rader) VALUES (?, ?, ?)
            ON CONFLICT DO UPDATE SET rader = rader + excluded.rader""",
            [(sid, name, sign * rows) for (sid, name), rows in self.names.items()])
        columns = ", ".join(QUALITY_COLUMNS)
        conn.executemany(
            f"INSERT INTO kopare_kvalitet (kopare_id, ar, {columns}) "
            f"VALUES (?, ?, {', '.join('?' * len(QUALITY_COLUMNS))}) ON CONFLICT DO UPDATE SET "
            + ", ".join(f"{c} = {c} + excluded.{c}" for c in QUALITY_COLUMNS),
            [(b, int(y), *(sign * n for n in counts)) for (b, y), counts in self.quality.items()])
        self._new_totals()

    def finish(self) -> None:
        """Write what is left, then bring the reference tables up to date."""
        self._write_totals()
        conn = self.conn
        for table in ("kopare_leverantor_manad", "kopare_konto_manad", "kopare_forvaltning_manad",
                      "leverantor_konto", "leverantorsnamn", "kopare_kvalitet"):
            conn.execute(f"DELETE FROM {table} WHERE rader = 0")
        if self.sign > 0:
            self._write_invoices(len(self.invoices))
            conn.executemany("INSERT INTO kallfil_kopare VALUES (?, ?, ?)",
                             [(self.file_id, b, n) for b, n in self.file_buyers.items()])
        else:
            conn.execute("DELETE FROM fakturor WHERE kallfil_id = ?", [self.file_id])
            conn.execute("DELETE FROM kallfil_kopare WHERE kallfil_id = ?", [self.file_id])
        refresh_references(conn, self.buyers, self.suppliers)


def batch_of_rows(rows: list[tuple]) -> Batch:
    """A Batch of rows read back from the ledger (ROW_COLUMNS, then kallrad)."""
    columns = list(zip(*rows))
    amounts = columns[ROW_COLUMNS.index("nettobelopp")]
    return Batch(list(columns[:-1]), list(columns[-1]), [round(a * 100) for a in amounts])


_REFRESH_SUPPLIERS = """INSERT INTO leverantorer (leverantor_id, leverantor, leverantor_id_typ,
        namnvarianter, forsta_datum, sista_datum, rader, summa)
    SELECT t.id,
        (SELECT leverantor FROM leverantorsnamn WHERE leverantor_id = t.id
         ORDER BY rader DESC, leverantor LIMIT 1),
        CASE WHEN t.id GLOB '[0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'
             THEN 'organisationsnummer' ELSE 'utlandskt_momsnummer' END,
        (SELECT group_concat(leverantor, ' | ') FROM (SELECT leverantor FROM leverantorsnamn
         WHERE leverantor_id = t.id ORDER BY rader DESC, leverantor)),
        (SELECT min(bokforingsdatum) FROM leverantorsreskontra WHERE leverantor_nyckel = t.id),
        (SELECT max(bokforingsdatum) FROM leverantorsreskontra WHERE leverantor_nyckel = t.id),
        (SELECT sum(rader) FROM kopare_leverantor_manad WHERE leverantor_nyckel = t.id),
        (SELECT round(sum(summa), 2) FROM kopare_leverantor_manad WHERE leverantor_nyckel = t.id)
    FROM temp.touched_suppliers t WHERE true
    ON CONFLICT DO UPDATE SET leverantor = excluded.leverantor,
        namnvarianter = excluded.namnvarianter, forsta_datum = excluded.forsta_datum,
        sista_datum = excluded.sista_datum, rader = excluded.rader, summa = excluded.summa"""

_REFRESH_ACCOUNTS = """INSERT INTO konton (kopare_id, konto_nr, konto_text, rader, summa)
    SELECT kopare_id, konto_nr,
        (SELECT konto_text FROM kopare_konto_manad i WHERE i.kopare_id = o.kopare_id
         AND i.konto_nr = o.konto_nr GROUP BY konto_text ORDER BY sum(rader) DESC LIMIT 1),
        sum(rader), round(sum(summa), 2)
    FROM kopare_konto_manad o WHERE kopare_id IN (SELECT id FROM temp.touched_buyers)
    GROUP BY kopare_id, konto_nr"""


def refresh_references(conn: sqlite3.Connection, buyers: set[str], suppliers: set[str]) -> None:
    """Recompute buyers, suppliers and accounts for the given keys from the totals."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched_buyers (id TEXT PRIMARY KEY)")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched_suppliers (id TEXT PRIMARY KEY)")
    conn.executemany("INSERT OR IGNORE INTO temp.touched_buyers VALUES (?)", [(b,) for b in buyers])
    conn.executemany("INSERT OR IGNORE INTO temp.touched_suppliers VALUES (?)", [(s,) for s in suppliers])
    conn.execute(_REFRESH_SUPPLIERS)
    conn.execute("DELETE FROM leverantorer WHERE coalesce(rader, 0) = 0 "
                 "AND leverantor_id IN (SELECT id FROM temp.touched_suppliers)")
    conn.execute("DELETE FROM konton WHERE kopare_id IN (SELECT id FROM temp.touched_buyers)")
    conn.execute(_REFRESH_ACCOUNTS)
    for buyer in buyers:
        _refresh_buyer(conn, buyer)
    conn.execute("DELETE FROM temp.touched_buyers")
    conn.execute("DELETE FROM temp.touched_suppliers")


def _refresh_buyer(conn: sqlite3.Connection, buyer: str) -> None:
    rows, total = conn.execute(
        "SELECT sum(rader), round(sum(summa), 2) FROM kopare_leverantor_manad WHERE kopare_id = ?",
        [buyer]).fetchone()
    if not rows:
        conn.execute("DELETE FROM kopare WHERE kopare_id = ?", [buyer])
        return
    first, last, name, municipality = conn.execute(
        """SELECT (SELECT min(bokforingsdatum) FROM leverantorsreskontra WHERE kopare_id = :b),
            (SELECT max(bokforingsdatum) FROM leverantorsreskontra WHERE kopare_id = :b),
            (SELECT kopare FROM leverantorsreskontra WHERE kopare_id = :b AND kopare <> ''
             ORDER BY bokforingsdatum DESC LIMIT 1),
            (SELECT kommun_id FROM leverantorsreskontra WHERE kopare_id = :b AND kommun_id <> ''
             ORDER BY bokforingsdatum DESC LIMIT 1)""", {"b": buyer}).fetchone()
    known = conn.execute("SELECT kopare, latitud, longitud FROM kopare WHERE kopare_id = ?",
                         [buyer]).fetchone()
    if known and known[0] == name and known[1] is not None:
        latitude, longitude = known[1], known[2]  # looked up when the buyer was first seen
    else:
        latitude, longitude = coordinates(name) or (None, None)
    conn.execute(
        """INSERT INTO kopare (kopare_id, kopare, typ, kommun_id, forsta_datum, sista_datum, rader,
            summa, latitud, longitud) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT DO UPDATE SET kopare = coalesce(excluded.kopare, kopare),
            kommun_id = coalesce(excluded.kommun_id, kommun_id), forsta_datum = excluded.forsta_datum,
            sista_datum = excluded.sista_datum, rader = excluded.rader, summa = excluded.summa,
            latitud = excluded.latitud, longitud = excluded.longitud""",
        [buyer, name, buyer_kind(buyer), municipality, first, last, rows, total, latitude, longitude])
