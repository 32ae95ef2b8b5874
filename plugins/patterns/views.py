"""The figures behind each /inkop page (the page and its .json twin render the same dict).

Every query reads the summary tables built at load (kopare_leverantor_manad, kopare_konto_manad,
kopare_forvaltning_manad, fakturor, kopare_kvalitet, flaggor) through their indexes.
"""

from __future__ import annotations

from urllib.parse import urlencode

from openup.indicator import BadParameter
from openup.indicators import INDICATORS
from openup.advice import recommendations
from openup.periods import period_bounds

from ..ledger import LEDGER, ledger_parts, once_per_version
from .coverage import buyer_months, coverage, in_rows, years_between
from .filters import known_buyer, organisation_number, unknown_number

TOP = 20


async def query_rows(database, sql: str, params=None) -> list[dict]:
    """The rows of a read-only query, as dicts."""
    return [dict(r) for r in (await database.execute(sql, params or {})).rows]


_YEAR = "(:ar = '' OR ar = CAST(:ar AS INTEGER))"


def rows_path(database, period=None, **equal) -> str:
    """The ledger rows behind a figure, as a table page's path: each column equal to its value
    (a blank one blank), booked within the period (a year or a month) when one is given. A month's
    rows are listed by date: in id order they were sorted first (a national month of every buyer,
    830,000 rows of a year's database: 76 ms), by date they are read in the date index's order."""
    args = [(f"{column}__isblank", "1") if value in (None, "") else (column, value)
            for column, value in equal.items()]
    if period:
        first, last = period_bounds(str(period))
        args += [("bokforingsdatum__gte", first), ("bokforingsdatum__lte", last)]
        if len(str(period)) == 7:
            args.append(("_sort", "bokforingsdatum"))
    return f"/{database.name}/leverantorsreskontra?{urlencode(args)}"


def with_rows(database, rows: list[dict], period=None, *, period_field: str | None = None,
              where: dict | None = None, **columns) -> list[dict]:
    """rows, each with rader_url: columns maps a ledger column to the row's field holding its
    value, where gives columns one value for every row; the period (a year or a month) is the
    same for every row, or in each row's period_field."""
    for row in rows:
        row["rader_url"] = rows_path(database, row[period_field] if period_field else period, **(where or {}),
                                     **{column: row[field] for column, field in columns.items()})
    return rows


def _of_buyer(database, buyer: str, rows: list[dict], period=None, **arguments) -> list[dict]:
    return with_rows(database, rows, period, where={"kopare_id": buyer}, **arguments)


async def overview_page(database, request, *, filters) -> dict:
    """The same for every visitor asking for the same year: computed once per database version."""
    return await once_per_version(database, f"overview:{filters['ar']}",
                                  lambda: _overview(database, filters))


def _years(row: dict, first: str, last: str) -> list[int]:
    """The calendar years from the row's first date (or month) to its last."""
    return years_between([int(row[first][:4]), int(row[last][:4])])


async def _overview(database, filters) -> dict:
    year = _YEAR
    months = await buyer_months(database)
    totals = (await query_rows(database, f"""SELECT round(sum(summa), 2) AS summa, sum(rader) AS rader,
        count(DISTINCT kopare_id) AS kopare FROM kopare_manad WHERE {year}""", filters))[0]
    years = [int(filters["ar"])] if filters["ar"] else years_between(y for _, y in months)
    buyers = with_rows(database, await query_rows(database, """SELECT kopare_id, kopare, typ, forsta_datum,
        sista_datum, rader, summa FROM kopare ORDER BY kopare"""), kopare_id="kopare_id")
    for buyer in buyers:
        buyer.update(in_rows(coverage(months, [buyer["kopare_id"]],
                                      _years(buyer, "forsta_datum", "sista_datum"))))
    return {
        "titel": "Offentliga inköp",
        "totalt": {**totals, "leverantorer": (await query_rows(
            database, "SELECT count(*) AS n FROM leverantorer"))[0]["n"],
            **coverage(months, {b for b, _ in months}, years)},
        "kopare": buyers,
        "per_manad": with_rows(database, await query_rows(database, f"""SELECT manad,
            round(sum(summa), 2) AS summa, sum(rader) AS rader FROM kopare_manad WHERE {year}
            GROUP BY manad ORDER BY manad""", filters), period_field="manad"),
        "storsta_leverantorer": with_rows(database, await _largest_suppliers(database, filters),
                                          filters["ar"] or None, leverantor_nyckel="leverantor_id"),
        "storsta_konton": with_rows(database, await query_rows(database, f"""SELECT konto_nr,
            max(konto_text) AS konto_text, round(sum(summa), 2) AS summa FROM kopare_konto_manad
            WHERE {year} GROUP BY konto_nr ORDER BY summa DESC LIMIT {TOP}""", filters),
                                    filters["ar"] or None, konto_nr="konto_nr"),
        "flaggor": [{"indikator": slug, "titel": i.title} for slug, i in INDICATORS.items()],
        "filter": filters,
    }


async def _largest_suppliers(database, filters) -> list[dict]:
    """Those with an organisation number, over every year or in the year asked for."""
    if not filters["ar"]:
        return await query_rows(database, f"""SELECT leverantor_id, leverantor, summa, rader
            FROM leverantorer ORDER BY summa DESC LIMIT {TOP}""")
    return await query_rows(database, f"""SELECT s.leverantor_nyckel AS leverantor_id, l.leverantor,
        round(sum(s.summa), 2) AS summa, sum(s.rader) AS rader
        FROM kopare_leverantor_ar s JOIN leverantorer l ON l.leverantor_id = s.leverantor_nyckel
        WHERE s.ar = CAST(:ar AS INTEGER) GROUP BY s.leverantor_nyckel ORDER BY summa DESC LIMIT {TOP}""", filters)


async def buyer_page(database, request, *, filters) -> dict | None:
    buyer = organisation_number(request.url_vars["id"], "köparens organisationsnummer")
    found = await query_rows(database, "SELECT * FROM kopare WHERE kopare_id = :b", {"b": buyer})
    if not found:
        raise unknown_number(buyer, "köparen")
    years = [r["ar"] for r in await query_rows(database, "SELECT DISTINCT ar FROM kopare_kvalitet "
                                          "WHERE kopare_id = :b ORDER BY ar", {"b": buyer})]
    year = int(filters["ar"]) if filters["ar"] else years[-1]
    params = {"b": buyer, "y": year}
    totals = (await query_rows(database, """SELECT round(sum(m.summa), 2) AS summa, sum(m.rader) AS rader,
        coalesce(a.leverantorer, 0) AS leverantorer, coalesce(a.fakturor, 0) AS fakturor,
        a.median_faktura FROM kopare_manad m LEFT JOIN kopare_ar a ON a.kopare_id = m.kopare_id AND a.ar = m.ar
        WHERE m.kopare_id = :b AND m.ar = :y""", params))[0]
    return {
        "titel": found[0]["kopare"], "kopare": found[0], "ar": year, "ar_med_data": years,
        "totalt": {**totals, **coverage(await buyer_months(database), [buyer], [year])},
        "per_manad": _of_buyer(database, buyer, await query_rows(database, """SELECT manad, summa, rader
            FROM kopare_manad WHERE kopare_id = :b AND ar = :y ORDER BY manad""", params), period_field="manad"),
        "per_forvaltning": _of_buyer(database, buyer, await query_rows(database, """SELECT forvaltning,
            round(sum(summa), 2) AS summa, round(100.0 * sum(summa) / (SELECT sum(summa)
              FROM kopare_forvaltning_manad WHERE kopare_id = :b AND ar = :y), 1) AS andel
            FROM kopare_forvaltning_manad WHERE kopare_id = :b AND ar = :y
            GROUP BY forvaltning ORDER BY summa DESC""", params), year, forvaltning="forvaltning"),
        "storsta_konton": _of_buyer(database, buyer, await query_rows(database, f"""SELECT konto_nr,
            max(konto_text) AS konto_text, round(sum(summa), 2) AS summa FROM kopare_konto_manad
            WHERE kopare_id = :b AND ar = :y GROUP BY konto_nr ORDER BY summa DESC LIMIT {TOP}""", params),
                                    year, konto_nr="konto_nr"),
        "storsta_leverantorer": _of_buyer(database, buyer, await query_rows(database, f"""SELECT
            leverantor_nyckel AS leverantor_id, leverantor, summa, rader FROM kopare_leverantor_ar
            WHERE kopare_id = :b AND ar = :y ORDER BY summa DESC LIMIT {TOP}""", params),
                                          year, leverantor_nyckel="leverantor_id"),
        "flaggor": await _flags(database, {"kopare": buyer, "ar": str(year)}),
    }


async def not_assessed(database, indicator, filters: dict) -> list[dict]:
    """The buyers' years the indicator cannot assess, with why (skal)."""
    return await query_rows(database, indicator.not_assessed, filters) if indicator.not_assessed else []


async def _flags(database, filters: dict, supplier: str | None = None) -> list[dict]:
    """How many hits each indicator has (with its defaults) for these filters or this supplier;
    for a buyer's year, also why an indicator cannot assess it (ej_bedomd)."""
    found = {r["indikator"]: r["n"] for r in await query_rows(database, """SELECT indikator, count(*) AS n
        FROM flaggor WHERE (:kopare = '' OR kopare_id = :kopare)
          AND (:ar = '' OR ar IS NULL OR ar = CAST(:ar AS INTEGER))
          AND (:leverantor = '' OR leverantor_id = :leverantor)
        GROUP BY indikator""", {**filters, "leverantor": supplier or ""})}
    counts = []
    for slug, indicator in INDICATORS.items():
        if supplier and indicator.rows_behind == "buyer_year":
            continue  # a hit per buyer and year names no supplier
        counts.append({"indikator": slug, "titel": indicator.title, "traffar": found.get(slug, 0)})
        if not supplier:
            reasons = [r["skal"] for r in await not_assessed(database, indicator, filters)]
            counts[-1]["ej_bedomd"] = "; ".join(reasons) or None
    return counts


async def supplier_page(database, request, *, filters) -> dict | None:
    supplier = organisation_number(request.url_vars["id"], "leverantörens organisationsnummer")
    found = await query_rows(database, "SELECT * FROM leverantorer WHERE leverantor_id = :s", {"s": supplier})
    matched = await matched_by_name(database, supplier)
    if not found and not any("bland flera id" in r["matchning"] for r in matched["rows"]):
        raise unknown_number(supplier, "leverantören")
    if not found:  # known only from a field that holds several numbers
        found = [{"leverantor_id": supplier, "leverantor": supplier, "leverantor_id_typ": "organisationsnummer",
                  "namnvarianter": None, "forsta_datum": None, "sista_datum": None, "rader": 0, "summa": 0}]
    params = {"s": supplier}
    months = await buyer_months(database)
    paid = {}  # year -> the buyers that paid the supplier that year
    for row in await query_rows(database, "SELECT ar, kopare_id FROM kopare_leverantor_ar WHERE leverantor_nyckel = :s",
                                params):
        paid.setdefault(row["ar"], set()).add(row["kopare_id"])
    # By year from the index of the supplier's years; a buyer's first and last month found in the
    # primary key (buyer, supplier, month), not read from every month (the largest supplier has 36,500).
    buyers = await query_rows(database, """SELECT s.kopare_id, k.kopare, round(sum(s.summa), 2) AS summa,
            sum(s.rader) AS rader,
            (SELECT min(manad) FROM kopare_leverantor_manad m WHERE m.kopare_id = s.kopare_id
             AND m.leverantor_nyckel = :s) AS forsta_manad,
            (SELECT max(manad) FROM kopare_leverantor_manad m WHERE m.kopare_id = s.kopare_id
             AND m.leverantor_nyckel = :s) AS sista_manad
        FROM kopare_leverantor_ar s JOIN kopare k ON k.kopare_id = s.kopare_id
        WHERE s.leverantor_nyckel = :s GROUP BY s.kopare_id ORDER BY summa DESC, s.kopare_id""", params)
    for row in with_rows(database, buyers, where={"leverantor_nyckel": supplier}, kopare_id="kopare_id"):
        row.update(in_rows(coverage(months, [row["kopare_id"]], _years(row, "forsta_manad", "sista_manad"))))
    per_year = with_rows(database, await query_rows(database, """SELECT ar, round(sum(summa), 2) AS summa,
        sum(rader) AS rader FROM kopare_leverantor_ar WHERE leverantor_nyckel = :s GROUP BY ar ORDER BY ar""",
                                                   params), period_field="ar", where={"leverantor_nyckel": supplier})
    for row in per_year:
        row.update(in_rows(coverage(months, paid[row["ar"]], [row["ar"]])))
    return {
        "titel": found[0]["leverantor"], "leverantor": found[0],
        "totalt": {"summa": found[0]["summa"], "rader": found[0]["rader"],
                   **coverage(months, set().union(*paid.values()), years_between(paid))},
        "namnvarianter": [n for n in (found[0]["namnvarianter"] or "").split(" | ") if n],
        "kopare": buyers,
        "per_ar": per_year,
        "matchade_pa_namn": matched,
        "konton": with_rows(database, await query_rows(database, f"""SELECT konto_nr, konto_text, summa, rader
            FROM leverantor_konto WHERE leverantor_nyckel = :s ORDER BY summa DESC LIMIT {TOP}""", params),
                            where={"leverantor_nyckel": supplier}, konto_nr="konto_nr"),
        "flaggor": await _flags(database, {"kopare": "", "ar": ""}, supplier),
    }


# The name-keyed suppliers (rows booked without an organisation number of their own) that are
# this supplier: by a name it is published under, or its number among several in one field.
_NAME_KEYS = """SELECT n.leverantor_nyckel, group_concat(DISTINCT n.leverantor_id_typ) AS leverantor_id_typ,
        max(n.leverantor_id_typ = 'flera' AND instr(' / ' || n.leverantor_id || ' / ', ' / ' || :s || ' / '))
          AS bland_flera,
        max(n.namnform IN (SELECT namnform FROM leverantorsnamn WHERE leverantor_id = :s)) AS samma_namn,
        (SELECT count(DISTINCT o.leverantor_id) FROM leverantorsnamn o WHERE o.leverantor_id <> :s
         AND o.namnform = n.namnform) AS andra_organisationsnummer
    FROM namnnycklade_leverantorer n
    WHERE n.namnform IN (SELECT namnform FROM leverantorsnamn WHERE leverantor_id = :s)
       OR (n.leverantor_id_typ = 'flera'
           AND instr(' / ' || n.leverantor_id || ' / ', ' / ' || :s || ' / '))
    GROUP BY n.leverantor_nyckel"""


async def matched_by_name(database, supplier: str) -> dict:
    """Payments that are probably to this supplier but booked under another key, per key and
    buyer, with their sum apart: never added to the supplier's own total."""
    rows = []
    for row in await query_rows(database, f"""WITH nycklar AS ({_NAME_KEYS})
            SELECT n.leverantor_nyckel, n.leverantor_id_typ, n.samma_namn, n.bland_flera,
                n.andra_organisationsnummer, s.kopare_id, k.kopare, round(sum(s.summa), 2) AS summa,
                sum(s.rader) AS rader, min(s.manad) AS forsta_manad, max(s.manad) AS sista_manad
            FROM nycklar n JOIN kopare_leverantor_manad s ON s.leverantor_nyckel = n.leverantor_nyckel
            JOIN kopare k ON k.kopare_id = s.kopare_id
            GROUP BY n.leverantor_nyckel, s.kopare_id ORDER BY n.leverantor_nyckel, summa DESC""", {"s": supplier}):
        key = row.pop("leverantor_nyckel")
        matching = [how for how, found in (("namn", row.pop("samma_namn")), ("bland flera id", row.pop("bland_flera")))
                    if found]
        rows.append({**row, "leverantor": key, "matchning": matching,
                     "rader_url": rows_path(database, kopare_id=row["kopare_id"], leverantor_nyckel=key)})
    return {"summa": round(sum(r["summa"] for r in rows), 2), "rader": sum(r["rader"] for r in rows),
            "rows": rows}


async def compare_page(database, request, *, filters) -> dict:
    buyers = [organisation_number(b, "kopare") for b in request.args.getlist("kopare")]
    choices = await query_rows(database, "SELECT kopare_id, kopare FROM kopare ORDER BY kopare")
    if not buyers and not (request.url_vars.get("json") or request.url_vars.get("csv")):  # the page: pick the buyers by name
        return {"titel": "Jämför köpare", "kopare": [], "val": choices, "konto": None,
                "leverantor": None, "rows": []}
    if not 2 <= len(buyers) <= 10:
        raise BadParameter("ange två till tio köpare: ?kopare=A&kopare=B")
    for buyer in buyers:
        await known_buyer(database, buyer)
    account = request.args.get("konto", "")
    supplier = organisation_number(request.args["leverantor"], "leverantor") if request.args.get("leverantor") else ""
    if supplier and not await query_rows(database, "SELECT 1 FROM kopare_leverantor_ar "
                                         "WHERE leverantor_nyckel = :s LIMIT 1", {"s": supplier}):
        raise unknown_number(supplier, "leverantören")
    if account and supplier:  # no summary holds both: the ledger, through its index on leverantor_nyckel
        table, year, total, count = (LEDGER, "CAST(substr(t.bokforingsdatum, 1, 4) AS INTEGER)",
                                     "t.nettobelopp", "count(*)")
    else:
        table = "kopare_leverantor_ar" if supplier else "kopare_konto_manad" if account else "kopare_manad"
        year, total, count = "t.ar", "t.summa", "sum(t.rader)"
    where = "".join(condition for condition, given in (
        (" AND t.leverantor_nyckel = :supplier", supplier), (" AND t.konto_nr = :account", account)) if given)
    placeholders = ", ".join(f":k{i}" for i in range(len(buyers)))
    params = {"supplier": supplier, "account": account, **{f"k{i}": b for i, b in enumerate(buyers)}}
    sql = f"""SELECT t.kopare_id, k.kopare, {year} AS ar,
        round(sum({total}), 2) AS summa, {count} AS rader FROM {table} t JOIN kopare k ON k.kopare_id = t.kopare_id
        WHERE t.kopare_id IN ({placeholders}){where} GROUP BY t.kopare_id, 3 ORDER BY 3, k.kopare"""
    # A national database's ledger is in its year databases, in the order of their years.
    rows = [row for part in (ledger_parts(database) if table == LEDGER else [database])
            for row in await query_rows(part, sql, params)]
    months = await buyer_months(database)
    fixed = {column: value for column, value in (("leverantor_nyckel", supplier), ("konto_nr", account)) if value}
    for row in with_rows(database, rows, period_field="ar", where=fixed, kopare_id="kopare_id"):
        row.update(in_rows(coverage(months, [row["kopare_id"]], [row["ar"]])))
    return {"titel": "Jämför köpare", "kopare": buyers, "val": choices, "konto": account or None,
            "leverantor": supplier or None, "rows": rows}


async def quality_page(database, request, *, filters) -> dict:
    rows = await query_rows(database, """SELECT q.kopare_id, k.kopare, sum(q.rader) AS rader,
        sum(q.med_verifikationsnummer) AS med_verifikationsnummer, sum(q.med_leverantor_id) AS med_leverantor_id,
        sum(q.med_konto_nr) AS med_konto_nr, sum(q.med_konto_text) AS med_konto_text,
        sum(q.med_forvaltning) AS med_forvaltning, sum(q.med_fakturanummer) AS med_fakturanummer,
        sum(q.med_avtal) AS med_avtal, sum(q.organisationsnummer) AS organisationsnummer,
        sum(q.dagsdatum) AS dagsdatum, sum(q.maskerade) AS maskerade,
        (SELECT sum(f.rader_avvisade) FROM kallfiler f WHERE f.id IN
          (SELECT kallfil_id FROM kallfil_kopare c WHERE c.kopare_id = q.kopare_id)) AS avvisade
        FROM kopare_kvalitet q JOIN kopare k ON k.kopare_id = q.kopare_id
        WHERE (:kopare = '' OR q.kopare_id = :kopare) AND (:ar = '' OR q.ar = CAST(:ar AS INTEGER))
        GROUP BY q.kopare_id ORDER BY k.kopare""", filters)
    months = await buyer_months(database)
    for row in rows:
        years = [y for (buyer, y) in months if buyer == row["kopare_id"]
                 and (not filters["ar"] or y == int(filters["ar"]))]
        row.update(coverage(months, [row["kopare_id"]], years_between(years)))
        row["filer"] = await _files(database, row["kopare_id"])
        shares = {key: round(100.0 * row[key] / row["rader"], 1) for key in row
                  if key.startswith("med_") or key in ("organisationsnummer", "dagsdatum")}
        row["andelar"] = shares
        row["rekommendationer"] = recommendations(shares, row["saknade_manader"], row["avvisade"])
    return {"titel": "Datakvalitet per utgivare", "rows": rows, "filter": filters}


async def _files(database, buyer: str) -> list[dict]:
    """The publisher's loaded files: what each lacked, and why lines were rejected (counts of the
    five commonest reasons, linked to the rejected lines)."""
    params = {"b": buyer}
    files = await query_rows(database, """SELECT f.id, f.filnamn, f.profil, f.rader_lasta, f.rader_inlasta,
            f.rader_avvisade, f.saknade_kolumner, f.okanda_kolumner, f.kalla
        FROM kallfiler f WHERE f.id IN (SELECT kallfil_id FROM kallfil_kopare WHERE kopare_id = :b)
        ORDER BY f.filnamn""", params)
    reasons = {}
    for reason in await query_rows(database, """SELECT kallfil_id, orsak, count(*) AS rader FROM avvisade_rader
            WHERE kallfil_id IN (SELECT kallfil_id FROM kallfil_kopare WHERE kopare_id = :b)
            GROUP BY kallfil_id, orsak ORDER BY rader DESC""", params):
        reasons.setdefault(reason.pop("kallfil_id"), []).append(reason)
    for file in files:
        file["avvisade_url"] = f"/{database.name}/avvisade_rader?" + urlencode({"kallfil_id": file["id"]})
        file["orsaker"] = reasons.get(file["id"], [])[:5]
    return files
