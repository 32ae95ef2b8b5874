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
from collections.abc import Iterable

from .identifiers import buyer_kind
from .records import ROW_COLUMNS

_OPEN_INVOICES = 100_000  # invoices kept open in memory; the oldest half is written beyond
_KEYED_TYPES = ("organisationsnummer", "utlandskt_momsnummer")
(_BUYER, _BUYER_NAME, _VOUCHER, _NAME, _SUPPLIER_ID, _ACCOUNT, _ACCOUNT_TEXT, _DATE, _UNIT,
 _INVOICE, _AMOUNT, _BASIS, _CONTRACT, _MUNICIPALITY, _SCODE, _ID_TYPE, _KEY, _PRECISION,
 _MASKED) = range(len(ROW_COLUMNS))

INSERT_INVOICES = """INSERT INTO {schema}.fakturor (kopare_id, leverantor_nyckel, fakturanyckel,
        bokforingsdatum, datum_precision, ar, summa, konteringar, har_avtal, forsta_kallrad, kallfil_id)
    VALUES (?, ?, ?, ?, ?, CAST(substr(?4, 1, 4) AS INTEGER), ? / 100.0, ?, ?, ?, ?)"""


class FileAggregates:
    """Totals of one file's rows, folded in as the rows stream past."""

    def __init__(self, conn: sqlite3.Connection | None = None, file_id: int = 0,
                 schema: str = "main"):
        """With no conn, invoices are not tracked (a removed file's go by kallfil_id)."""
        self.supplier_month: dict[tuple, list] = {}
        self.account_month: dict[tuple, list] = {}
        self.unit_month: dict[tuple, list] = {}
        self.names: dict[tuple, int] = {}
        self.invoices: dict[tuple, list] = {}
        self.conn, self.file_id = conn, file_id
        self.insert_invoices = INSERT_INVOICES.format(schema=schema)

    def add(self, row: tuple, line: int) -> None:
        buyer, key, date, ore = row[_BUYER], row[_KEY], row[_DATE], round(row[_AMOUNT] * 100)
        month = date[:7]
        contract = 1 if row[_CONTRACT] else 0
        entry = self.supplier_month.get((buyer, key, month))
        if entry is None:
            self.supplier_month[(buyer, key, month)] = [row[_NAME], ore, 1, contract]
        else:
            entry[1] += ore
            entry[2] += 1
            entry[3] += contract
        _add(self.account_month, (buyer, row[_ACCOUNT], row[_ACCOUNT_TEXT], month), ore)
        _add(self.unit_month, (buyer, row[_UNIT], month), ore)
        if row[_ID_TYPE] in _KEYED_TYPES:
            name_key = (row[_SUPPLIER_ID], row[_NAME])
            self.names[name_key] = self.names.get(name_key, 0) + 1
        if self.conn is None:
            return
        invoice_key = (buyer, key, row[_INVOICE] or row[_VOUCHER] or f"rad:{line}", date)
        invoice = self.invoices.get(invoice_key)
        if invoice is None:
            self.invoices[invoice_key] = [row[_PRECISION], ore, 1, contract, line]
            if len(self.invoices) > _OPEN_INVOICES:
                self._write_invoices(len(self.invoices) // 2)
        else:
            invoice[1] += ore
            invoice[2] += 1
            invoice[3] |= contract

    def write_invoices(self) -> None:
        """Write the invoices still open (at the end of the file)."""
        self._write_invoices(len(self.invoices))

    def _write_invoices(self, count: int) -> None:
        """Write the `count` oldest open invoices to fakturor."""
        items = list(self.invoices.items())
        file_id = self.file_id
        self.conn.executemany(self.insert_invoices,
                              [(*key, *value, file_id) for key, value in items[:count]])
        self.invoices = dict(items[count:])

    def write(self, conn: sqlite3.Connection, file_id: int, sign: int) -> None:
        """Add (sign 1) or take back (sign -1) these totals in the summary tables."""
        conn.executemany(
            """INSERT INTO kopare_leverantor_manad (kopare_id, leverantor_nyckel, leverantor, manad,
                ar, summa, rader, rader_med_avtal) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET summa = round(summa + excluded.summa, 2),
                rader = rader + excluded.rader, rader_med_avtal = rader_med_avtal + excluded.rader_med_avtal,
                leverantor = CASE WHEN excluded.rader > 0 THEN excluded.leverantor ELSE leverantor END""",
            [(b, k, name, m, int(m[:4]), sign * ore / 100, sign * rows, sign * contracts)
             for (b, k, m), (name, ore, rows, contracts) in self.supplier_month.items()])
        conn.executemany(
            """INSERT INTO kopare_konto_manad (kopare_id, konto_nr, konto_text, manad, ar, summa, rader)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET
                summa = round(summa + excluded.summa, 2), rader = rader + excluded.rader""",
            [(b, nr, text, m, int(m[:4]), sign * ore / 100, sign * rows)
             for (b, nr, text, m), (ore, rows) in self.account_month.items()])
        conn.executemany(
            """INSERT INTO kopare_forvaltning_manad (kopare_id, forvaltning, manad, ar, summa, rader)
            VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET
                summa = round(summa + excluded.summa, 2), rader = rader + excluded.rader""",
            [(b, unit, m, int(m[:4]), sign * ore / 100, sign * rows)
             for (b, unit, m), (ore, rows) in self.unit_month.items()])
        conn.executemany(
            """INSERT INTO leverantorsnamn (leverantor_id, leverantor, rader) VALUES (?, ?, ?)
            ON CONFLICT DO UPDATE SET rader = rader + excluded.rader""",
            [(sid, name, sign * rows) for (sid, name), rows in self.names.items()])
        for table in ("kopare_leverantor_manad", "kopare_konto_manad", "kopare_forvaltning_manad",
                      "leverantorsnamn"):
            conn.execute(f"DELETE FROM {table} WHERE rader = 0")
        if sign < 0:
            conn.execute("DELETE FROM fakturor WHERE kallfil_id = ?", [file_id])
        refresh_references(conn, {b for b, _, _ in self.supplier_month},
                           {sid for sid, _ in self.names})


def _add(totals: dict[tuple, list], key: tuple, ore: int) -> None:
    entry = totals.get(key)
    if entry is None:
        totals[key] = [ore, 1]
    else:
        entry[0] += ore
        entry[1] += 1


def aggregate_rows(rows: Iterable[tuple]) -> FileAggregates:
    """Totals of rows read back from the ledger (ROW_COLUMNS then kallrad), for taking back."""
    aggregates = FileAggregates()
    for row in rows:
        aggregates.add(row, row[-1])
    return aggregates


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
    conn.execute(
        """INSERT INTO kopare (kopare_id, kopare, typ, kommun_id, forsta_datum, sista_datum, rader, summa)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT DO UPDATE SET kopare = coalesce(excluded.kopare, kopare),
            kommun_id = coalesce(excluded.kommun_id, kommun_id), forsta_datum = excluded.forsta_datum,
            sista_datum = excluded.sista_datum, rader = excluded.rader, summa = excluded.summa""",
        [buyer, name, buyer_kind(buyer), municipality, first, last, rows, total])
