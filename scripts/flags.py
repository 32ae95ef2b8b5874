"""The flags table: every indicator's hits with its default parameters, built with the database.

Built inside each file's transaction, for the buyers the file touched (an indicator whose hits
of a buyer depend on other buyers' rows is rebuilt whole), so that a served database answers
every flag page by reading a table, and a journalist can query, join and download the flags.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from urllib.parse import urlencode

from .database import database_path
from .indicator import Indicator
from .indicators import INDICATORS
from .periods import period_bounds

_IN_COLUMNS = ("kopare_id", "leverantor_id", "ar")  # columns of their own; the rest is detaljer
_INSERT = """INSERT INTO flaggor (indikator, kopare_id, kopare, leverantor_id, leverantor, ar, belopp,
        sortering, detaljer, rader_url)
    VALUES (:indikator, :kopare_id, (SELECT kopare FROM kopare WHERE kopare_id = :kopare_id),
        :leverantor_id, coalesce(:leverantor,
          (SELECT leverantor FROM leverantorer WHERE leverantor_id = :leverantor_id), :leverantor_id),
        :ar, :belopp, :sortering, :detaljer, :rader_url)"""


def as_shown(indicator: Indicator, hit: dict) -> dict:
    """Amounts to the öre, and the indicator's list columns as lists."""
    return {k: json.loads(v) if k in indicator.lists and isinstance(v, str)
            else round(v, 2) if isinstance(v, float) else v for k, v in hit.items()}


def rows_behind(database: str, indicator: Indicator, hit: dict) -> str:
    """The ledger rows behind a hit (as shown), as the path of a Datasette table page."""
    filters = []
    if indicator.rows_behind != "supplier":  # a supplier's hit spans every buyer
        filters.append(("kopare_id", hit["kopare_id"]))
    if indicator.rows_behind != "buyer_year" and hit.get("leverantor_id"):
        filters.append(("leverantor_nyckel", hit["leverantor_id"]))
    vouchers, numbers = hit.get("verifikationsnummer"), hit.get("fakturanummer")
    if indicator.rows_behind == "invoice" and isinstance(vouchers, list) and all(vouchers):
        filters.append(("verifikationsnummer__in", json.dumps(sorted(set(vouchers)), ensure_ascii=False)))
    elif indicator.rows_behind == "invoice" and isinstance(numbers, list) and all(numbers):
        filters.append(("fakturanummer__in", json.dumps(sorted(set(numbers)), ensure_ascii=False)))
    elif indicator.rows_behind == "invoice" and hit.get("bokforingsdatum"):
        filters.append(("bokforingsdatum", hit["bokforingsdatum"]))
    elif hit.get("fran_datum"):  # the hit's figure is of these days
        filters += [("bokforingsdatum__gte", hit["fran_datum"]), ("bokforingsdatum__lte", hit["till_datum"])]
    elif hit.get("ar"):
        first, last = period_bounds(str(hit["ar"]))
        filters += [("bokforingsdatum__gte", first), ("bokforingsdatum__lte", last)]
    return f"/{database}/leverantorsreskontra?{urlencode(filters)}"


def run(conn: sqlite3.Connection, indicator: Indicator, buyer: str = "") -> list[dict]:
    """The indicator's hits with its defaults, of one buyer ('' for all), as shown."""
    cursor = conn.execute(indicator.sql, {"kopare": buyer, "ar": "", **indicator.arguments({})})
    names = [d[0] for d in cursor.description]
    return [as_shown(indicator, dict(zip(names, row))) for row in cursor.fetchall()]


def database_name(conn: sqlite3.Connection) -> str:
    """The name Datasette serves the database under: its file's stem."""
    return database_path(conn).stem


def build_flags(conn: sqlite3.Connection, buyers: Iterable[str]) -> None:
    """Bring flaggor up to date for buyers, whose rows a load has changed."""
    buyers = sorted(set(buyers))
    if not buyers:
        return
    every = {row[0] for row in conn.execute("SELECT kopare_id FROM kopare")}
    database = database_name(conn)
    for indicator in INDICATORS.values():
        if not indicator.per_buyer or every <= set(buyers):
            conn.execute("DELETE FROM flaggor WHERE indikator = ?", [indicator.slug])
            hits = run(conn, indicator)
        else:
            conn.executemany("DELETE FROM flaggor WHERE indikator = ? AND kopare_id = ?",
                             [(indicator.slug, b) for b in buyers])
            hits = [hit for buyer in buyers if buyer in every for hit in run(conn, indicator, buyer)]
        write_flags(conn, [_row(indicator, hit, database) for hit in hits])


def every_flag(conn: sqlite3.Connection, database: str | None = None) -> list[dict]:
    """Every indicator's hits of every buyer, as rows of flaggor (for write_flags), their links
    to the database served as database (by default conn's)."""
    database = database or database_name(conn)
    return [_row(indicator, hit, database) for indicator in INDICATORS.values() for hit in run(conn, indicator)]


def write_flags(conn: sqlite3.Connection, rows: list[dict]) -> None:
    """Insert rows of flaggor (kopare and leverantorer give the names)."""
    conn.executemany(_INSERT, rows)


def _row(indicator: Indicator, hit: dict, database: str) -> dict:
    return {"indikator": indicator.slug, "kopare_id": hit["kopare_id"],
            "leverantor_id": hit.get("leverantor_id"), "leverantor": hit.get("leverantor"),
            "ar": hit.get("ar"), "belopp": hit.get("summa"), "sortering": hit.get(indicator.ranked_by),
            "detaljer": json.dumps({k: v for k, v in hit.items() if k not in _IN_COLUMNS}, ensure_ascii=False),
            "rader_url": rows_behind(database, indicator, hit)}


def stored_hit(row: dict) -> dict:
    """A flaggor row as the indicator's SQL gives the hit (as shown)."""
    hit = {k: row[k] for k in _IN_COLUMNS if row.get(k) is not None}
    return {**hit, **json.loads(row["detaljer"])}
