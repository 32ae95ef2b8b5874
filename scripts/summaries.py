"""Summary and reference tables, kept up to date file by file inside the file's transaction.

Additive totals (per buyer × supplier/account/department × month, name counts) take a file's
rows with sign +1 when it is loaded and -1 when it is replaced. Reference tables (buyers,
suppliers, accounts) are then recomputed for the keys the file touched, from the totals and
the ledger's indexes, so no step reads the whole ledger.
"""

from __future__ import annotations

import sqlite3

from .identifiers import buyer_kind

_RANGE = "FROM leverantorsreskontra WHERE id BETWEEN :first AND :last"
_MONTH = "substr(bokforingsdatum, 1, 7)"
_YEAR = "CAST(substr(bokforingsdatum, 1, 4) AS INTEGER)"
_KEYED_TYPES = "('organisationsnummer', 'utlandskt_momsnummer')"

_ADDITIVE = (
    f"""INSERT INTO kopare_leverantor_manad
        (kopare_id, leverantor_nyckel, leverantor, manad, ar, summa, rader, rader_med_avtal)
    SELECT kopare_id, leverantor_nyckel, max(leverantor), {_MONTH}, {_YEAR},
           :sign * sum(nettobelopp), :sign * count(*), :sign * sum(avtal <> '')
    {_RANGE} GROUP BY kopare_id, leverantor_nyckel, {_MONTH}
    ON CONFLICT DO UPDATE SET summa = round(summa + excluded.summa, 2),
        rader = rader + excluded.rader, rader_med_avtal = rader_med_avtal + excluded.rader_med_avtal""",
    f"""INSERT INTO kopare_konto_manad (kopare_id, konto_nr, konto_text, manad, ar, summa, rader)
    SELECT kopare_id, konto_nr, konto_text, {_MONTH}, {_YEAR}, :sign * sum(nettobelopp), :sign * count(*)
    {_RANGE} GROUP BY kopare_id, konto_nr, konto_text, {_MONTH}
    ON CONFLICT DO UPDATE SET summa = round(summa + excluded.summa, 2), rader = rader + excluded.rader""",
    f"""INSERT INTO kopare_forvaltning_manad (kopare_id, forvaltning, manad, ar, summa, rader)
    SELECT kopare_id, forvaltning, {_MONTH}, {_YEAR}, :sign * sum(nettobelopp), :sign * count(*)
    {_RANGE} GROUP BY kopare_id, forvaltning, {_MONTH}
    ON CONFLICT DO UPDATE SET summa = round(summa + excluded.summa, 2), rader = rader + excluded.rader""",
    f"""INSERT INTO leverantorsnamn (leverantor_id, leverantor, rader)
    SELECT leverantor_id, leverantor, :sign * count(*)
    {_RANGE} AND leverantor_id_typ IN {_KEYED_TYPES} GROUP BY leverantor_id, leverantor
    ON CONFLICT DO UPDATE SET rader = rader + excluded.rader""",
)
_EMPTIED = ("kopare_leverantor_manad", "kopare_konto_manad", "kopare_forvaltning_manad",
            "leverantorsnamn")

_INVOICES = f"""INSERT INTO fakturor (kopare_id, leverantor_nyckel, fakturanyckel, bokforingsdatum,
        datum_precision, ar, summa, konteringar, har_avtal, kallfil_id, forsta_rad_id)
    SELECT kopare_id, leverantor_nyckel,
           coalesce(nullif(fakturanummer, ''), nullif(verifikationsnummer, ''), 'rad:' || id) AS nyckel,
           bokforingsdatum, max(datum_precision), {_YEAR}, round(sum(nettobelopp), 2), count(*),
           max(avtal <> ''), kallfil_id, min(id)
    {_RANGE} GROUP BY kopare_id, leverantor_nyckel, nyckel, bokforingsdatum"""

_REFRESH_SUPPLIERS = """INSERT INTO leverantorer (leverantor_id, leverantor, leverantor_id_typ,
        namnvarianter, forsta_datum, sista_datum, rader, summa)
    SELECT t.id,
        (SELECT leverantor FROM leverantorsnamn WHERE leverantor_id = t.id
         ORDER BY rader DESC, leverantor LIMIT 1),
        t.typ,
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


def _touched(conn: sqlite3.Connection, first: int, last: int) -> None:
    """Remember the buyers and suppliers rows first..last concern (before they change)."""
    params = {"first": first, "last": last}
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched_buyers (id TEXT PRIMARY KEY)")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched_suppliers (id TEXT PRIMARY KEY, typ TEXT)")
    conn.execute(f"INSERT OR IGNORE INTO temp.touched_buyers SELECT DISTINCT kopare_id {_RANGE}", params)
    conn.execute(
        f"INSERT OR IGNORE INTO temp.touched_suppliers SELECT leverantor_id, max(leverantor_id_typ) "
        f"{_RANGE} AND leverantor_id_typ IN {_KEYED_TYPES} GROUP BY leverantor_id", params)


def add_file(conn: sqlite3.Connection, file_id: int, first: int, last: int) -> None:
    """Count rows first..last (just loaded as file_id) into the summaries."""
    _touched(conn, first, last)
    params = {"first": first, "last": last, "sign": 1}
    for statement in _ADDITIVE:
        conn.execute(statement, params)
    conn.execute(_INVOICES, params)


def remove_file(conn: sqlite3.Connection, file_id: int, first: int | None, last: int | None) -> None:
    """Take a loaded file out of the ledger and the summaries."""
    if first is not None and last is not None:
        _touched(conn, first, last)
        params = {"first": first, "last": last, "sign": -1}
        for statement in _ADDITIVE:
            conn.execute(statement, params)
        for table in _EMPTIED:
            conn.execute(f"DELETE FROM {table} WHERE rader = 0")
        conn.execute("DELETE FROM leverantorsreskontra WHERE id BETWEEN ? AND ?", [first, last])
    conn.execute("DELETE FROM fakturor WHERE kallfil_id = ?", [file_id])
    conn.execute("DELETE FROM avvisade_rader WHERE kallfil_id = ?", [file_id])
    conn.execute("DELETE FROM kallfiler WHERE id = ?", [file_id])


def refresh_references(conn: sqlite3.Connection) -> None:
    """Recompute buyers, suppliers and accounts for the keys touched in this transaction."""
    conn.execute(_REFRESH_SUPPLIERS)
    conn.execute("DELETE FROM leverantorer WHERE coalesce(rader, 0) = 0 "
                 "AND leverantor_id IN (SELECT id FROM temp.touched_suppliers)")
    conn.execute("DELETE FROM konton WHERE kopare_id IN (SELECT id FROM temp.touched_buyers)")
    conn.execute(_REFRESH_ACCOUNTS)
    for (buyer,) in conn.execute("SELECT id FROM temp.touched_buyers").fetchall():
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
    first = conn.execute("SELECT min(bokforingsdatum) FROM leverantorsreskontra WHERE kopare_id = ?",
                         [buyer]).fetchone()[0]
    last = conn.execute("SELECT max(bokforingsdatum) FROM leverantorsreskontra WHERE kopare_id = ?",
                        [buyer]).fetchone()[0]
    name, municipality = conn.execute(
        "SELECT (SELECT kopare FROM leverantorsreskontra WHERE kopare_id = :b AND kopare <> '' "
        "        ORDER BY bokforingsdatum DESC LIMIT 1), "
        "       (SELECT kommun_id FROM leverantorsreskontra WHERE kopare_id = :b AND kommun_id <> '' "
        "        ORDER BY bokforingsdatum DESC LIMIT 1)", {"b": buyer}).fetchone()
    conn.execute(
        """INSERT INTO kopare (kopare_id, kopare, typ, kommun_id, forsta_datum, sista_datum, rader, summa)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT DO UPDATE SET kopare = coalesce(excluded.kopare, kopare),
            kommun_id = coalesce(excluded.kommun_id, kommun_id), forsta_datum = excluded.forsta_datum,
            sista_datum = excluded.sista_datum, rader = excluded.rader, summa = excluded.summa""",
        [buyer, name, buyer_kind(buyer), municipality, first, last, rows, total])
