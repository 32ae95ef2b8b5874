"""One search, /sok?q=… and its .json twin: suppliers (with or without an organisation
number), buyers and payments (by account text or department), found by organisation number
with or without the hyphen, or by name regardless of case and of å, ä and ö.

Names are compared folded (sokform) against the tables built at load, never a scan of the
ledger. Each distinct text is folded once per version of the database and kept in memory: a
search then only looks for the query in the folded texts (in Python, in milliseconds), where
folding every row's text in SQL took a quarter of a second at ten million rows.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from itertools import accumulate
from urllib.parse import urlencode

from datasette import hookimpl

from openup.indicator import BadParameter

from .ledger import ledger_database, once_per_version
from .patterns import NotFound, guarded, page_of, render_page
from .patterns.filters import page_window
from .patterns.views import query_rows

_NOT_WORD = re.compile(r"[^0-9a-z]+")
_MOST = 500  # hits kept per kind (the largest by sum); "avkortat" says when a kind had more


def sokform(text: str | None) -> str:
    """Lower case, accents dropped (å, ä → a, ö → o), anything but letters and digits a space."""
    if not text:
        return ""
    plain = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    return " " + _NOT_WORD.sub(" ", plain).strip() + " "


# What each kind of hit is found by: (value, text) pairs, the text folded and matched, the value
# given to the kind's query as the JSON array :matching.
_SEARCHED = {
    "leverantorer": "SELECT leverantor_id, leverantor FROM leverantorsnamn",
    "namnnycklade": "SELECT DISTINCT leverantor_nyckel, leverantor_nyckel FROM namnnycklade_leverantorer",
    "kopare": "SELECT kopare_id, kopare FROM kopare",
    "konton": "SELECT DISTINCT konto_text, konto_text FROM konton",
    "forvaltningar": "SELECT DISTINCT forvaltning, forvaltning FROM kopare_forvaltning_manad",
}


class _FoldedTexts:
    """A kind's distinct texts, folded and joined one to a line, with the value of each line: a
    search is then str.find over one string, a line at a time only where the query is (at
    300,000 suppliers a test of each text took 15 ms for a rare query)."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.values = [value for _, value in pairs]
        self.starts = list(accumulate((len(text) + 1 for text, _ in pairs[:-1]), initial=0))
        self.lines = "\n".join(text for text, _ in pairs)  # a folded text has no line break

    def matching(self, needle: str) -> list[str]:
        """The values of the texts that contain needle (folded, on one line; every text contains
        the empty needle)."""
        if not needle:
            return list(self.values)
        found, at = [], self.lines.find(needle)
        while at >= 0:
            line = bisect_right(self.starts, at) - 1
            found.append(self.values[line])
            at = self.lines.find(needle, self.starts[line + 1]) if line + 1 < len(self.starts) else -1
        return found


async def _folded_texts(database) -> dict[str, _FoldedTexts]:
    """Per kind, every distinct text folded: the same until the next load. Folded in the SQL
    thread, so that the first search after a load does not hold up the others."""
    def fold(conn) -> dict[str, _FoldedTexts]:
        return {kind: _FoldedTexts([(sokform(text), value) for value, text in conn.execute(sql) if value is not None])
                for kind, sql in _SEARCHED.items()}
    return await once_per_version(database, "sokformer", lambda: database.execute_fn(fold))


def _number_range(query: str) -> tuple[str, str] | None:
    """For a query of digits (an organisation number, whole or begun, with or without its
    hyphen), the range of formatted numbers that begin with it."""
    digits = query.replace("-", "").replace(" ", "")
    if not (3 <= len(digits) <= 10 and digits.isascii() and digits.isdigit()):
        return None
    prefix = digits if len(digits) <= 6 else f"{digits[:6]}-{digits[6:]}"
    return prefix, prefix + "~"


async def search(database, query: str) -> tuple[list[dict], bool]:
    """The hits, and whether some kind had more than _MOST."""
    needle = sokform(query).strip()
    folded = await _folded_texts(database)
    numbers = _number_range(query) or ("", "")
    params = {"fran": numbers[0], "till": numbers[1], "most": _MOST}
    ledger = f"/{database.name}/leverantorsreskontra?"
    hits, truncated = [], False

    async def matching(kind: str, sql: str) -> list[dict]:
        nonlocal truncated
        found = sorted(set(folded[kind].matching(needle)))
        rows = await query_rows(database, sql, {**params, "matching": json.dumps(found)})
        truncated = truncated or len(rows) >= _MOST
        return rows

    for row in await matching("leverantorer", """SELECT leverantor_id, leverantor, summa, rader FROM leverantorer
            WHERE leverantor_id IN (SELECT value FROM json_each(:matching))
               OR (leverantor_id >= :fran AND leverantor_id < :till)
            ORDER BY summa DESC LIMIT :most"""):
        hits.append({"typ": "leverantor", "namn": row["leverantor"], "id": row["leverantor_id"],
                     "summa": row["summa"], "rader": row["rader"],
                     "url": f"/inkop/leverantor/{row['leverantor_id']}",
                     "rader_url": ledger + urlencode({"leverantor_nyckel": row["leverantor_id"]})})
    for row in await matching("namnnycklade", """SELECT n.leverantor_nyckel,
                group_concat(DISTINCT n.leverantor_id_typ) AS typer,
                (SELECT round(sum(s.summa), 2) FROM kopare_leverantor_manad s
                 WHERE s.leverantor_nyckel = n.leverantor_nyckel) AS summa, sum(n.rader) AS rader
            FROM namnnycklade_leverantorer n WHERE n.leverantor_nyckel IN (SELECT value FROM json_each(:matching))
            GROUP BY n.leverantor_nyckel ORDER BY summa DESC LIMIT :most"""):
        rows_behind = ledger + urlencode({"leverantor_nyckel": row["leverantor_nyckel"]})
        hits.append({"typ": "leverantor", "namn": row["leverantor_nyckel"], "id": None,
                     "utan_organisationsnummer": row["typer"], "summa": row["summa"], "rader": row["rader"],
                     "url": rows_behind, "rader_url": rows_behind})
    for row in await matching("kopare", """SELECT kopare_id, kopare, summa, rader FROM kopare
            WHERE kopare_id IN (SELECT value FROM json_each(:matching)) OR (kopare_id >= :fran AND kopare_id < :till)
            ORDER BY summa DESC LIMIT :most"""):
        hits.append({"typ": "kopare", "namn": row["kopare"], "id": row["kopare_id"], "summa": row["summa"],
                     "rader": row["rader"], "url": f"/inkop/kopare/{row['kopare_id']}",
                     "rader_url": ledger + urlencode({"kopare_id": row["kopare_id"]})})
    for row in await matching("konton", """SELECT c.kopare_id, k.kopare, c.konto_nr, c.konto_text, c.summa, c.rader
            FROM konton c JOIN kopare k ON k.kopare_id = c.kopare_id
            WHERE c.konto_text IN (SELECT value FROM json_each(:matching))
            ORDER BY c.summa DESC LIMIT :most"""):
        rows_behind = ledger + urlencode({"kopare_id": row["kopare_id"], "konto_nr": row["konto_nr"]})
        hits.append({"typ": "betalning", "namn": f"{row['konto_nr']} {row['konto_text']}", "id": row["konto_nr"],
                     "kopare_id": row["kopare_id"], "kopare": row["kopare"], "falt": "konto",
                     "summa": row["summa"], "rader": row["rader"], "url": rows_behind, "rader_url": rows_behind})
    # Departments buyer by buyer (CROSS JOIN keeps that order), each looked up in its key (kopare_id,
    # forvaltning, manad): rather than a test of every row, 31 ms at ten years of 311 buyers.
    for row in await matching("forvaltningar", """SELECT f.kopare_id, k.kopare, f.forvaltning, round(sum(f.summa), 2) AS summa,
                sum(f.rader) AS rader
            FROM kopare k CROSS JOIN kopare_forvaltning_manad f ON f.kopare_id = k.kopare_id
                AND f.forvaltning IN (SELECT value FROM json_each(:matching))
            GROUP BY f.kopare_id, f.forvaltning ORDER BY summa DESC LIMIT :most"""):
        rows_behind = ledger + urlencode({"kopare_id": row["kopare_id"], "forvaltning": row["forvaltning"]})
        hits.append({"typ": "betalning", "namn": row["forvaltning"], "id": None, "kopare_id": row["kopare_id"],
                     "kopare": row["kopare"], "falt": "forvaltning", "summa": row["summa"], "rader": row["rader"],
                     "url": rows_behind, "rader_url": rows_behind})
    return hits, truncated


@guarded
async def search_view(datasette, request):
    query = (request.args.get("q") or "").strip()
    data = {"titel": "Sök", "q": query, "rows": [], "next": None, "next_url": None}
    if query:
        if not 2 <= len(query) <= 100:
            raise BadParameter("q ska vara 2 till 100 tecken")
        database = await ledger_database(datasette)
        if database is None:
            raise NotFound("ingen databas med leverantörsreskontra")
        hits, truncated = await search(database, query)
        page = page_of(datasette, request, page_window(datasette, request), hits)
        for hit in page["rows"]:  # those shown: up to 2,500 hits took 15 ms
            hit["url"], hit["rader_url"] = (datasette.absolute_url(request, hit[k]) for k in ("url", "rader_url"))
        data.update(page, antal=len(hits), avkortat=truncated, per_slag=_MOST)
    return await render_page(datasette, request, data, "sok.html")


@hookimpl
def register_routes():
    return [(r"^/sok(?P<json>\.json)?$", search_view)]
