"""No page scans a table that grows with the ledger (issue 18): every query a page runs reads
such a table through an index (SQLite's plan says SEARCH), so its time does not grow with the
rows loaded. Each page is asked twice; only the second request's queries are checked, because
what a page computes once per version of the database (kept in memory) may read more."""

from __future__ import annotations

import re
import sqlite3
import types

import pytest
from datasette import hookimpl
from datasette.plugins import pm
from openup_plugins.instance import make_datasette

from .conftest import run_openup

GROWING = ("leverantorsreskontra", "fakturor", "kopare_leverantor_manad", "kopare_leverantor_ar",
           "leverantor_konto", "kopare_dag", "avvisade_rader")
_FIRST_ROWS = re.compile(r"^select [\w\[\], ]+ from \w+ order by id limit \d+$", re.IGNORECASE)
# A table page's first rows in the order of one column: read in an index's order, stopping at the limit.
_FIRST_SORTED_ROWS = re.compile(r"^select [\w\[\], ]+ from \w+ order by [\w\[\]]+( desc)?(, id)? limit \d+$",
                                re.IGNORECASE)


@pytest.fixture
def traced_queries():
    """The SQL every connection opened from now on runs, with its parameters filled in."""
    tracer = types.ModuleType("openup_test_tracer")
    tracer.statements = []

    @hookimpl
    def prepare_connection(conn):
        conn.set_trace_callback(tracer.statements.append)

    tracer.prepare_connection = prepare_connection
    pm.register(tracer, name=tracer.__name__)
    yield tracer.statements
    pm.unregister(name=tracer.__name__)


def _scans(conn: sqlite3.Connection, sql: str) -> list[str] | None:
    """The steps of sql's plan that scan a growing table; None for a query of another database
    (Datasette's own, _internal). A table page's rows in rowid order up to a limit are read in
    that order and stop there, whatever the table's size, and so are those in an index's order."""
    if _FIRST_ROWS.search(" ".join(sql.split())):
        return []
    try:
        plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return None
        raise
    if _FIRST_SORTED_ROWS.search(" ".join(sql.split())) and len(plan) == 1 and " USING INDEX " in plan[0]:
        return []
    return [step for step in plan if step.split(" USING ")[0] in {f"SCAN {table}" for table in GROWING}]


def _pages(conn: sqlite3.Connection, name: str) -> list[str]:
    buyer = conn.execute("SELECT kopare_id FROM kopare ORDER BY rader DESC").fetchone()[0]
    supplier = conn.execute("SELECT leverantor_id FROM leverantorer ORDER BY rader DESC").fetchone()[0]
    flag = conn.execute("SELECT indikator FROM flaggor GROUP BY 1 ORDER BY count(*) DESC").fetchone()[0]
    return ["/", "/inkop", f"/inkop/kopare/{buyer}", f"/inkop/leverantor/{supplier}", "/inkop/flaggor",
            f"/inkop/flaggor/{flag}?kopare={buyer}", f"/inkop/kvalitet?kopare={buyer}", "/sok?q=bygg",
            f"/{name}/leverantorsreskontra?leverantor_id={supplier}", f"/{name}/leverantorsreskontra?kopare_id={buyer}",
            f"/{name}/leverantorsreskontra?_facet=konto_nr&_facet=forvaltning&_facet=leverantor_nyckel"]


async def _scanning(datasette, pages: list[str], traced_queries, connections: list[sqlite3.Connection]) -> list:
    """The scans of a growing table in the queries the pages run, each planned in the first of
    connections that has its tables."""
    checked, scanning = 0, []
    for page in pages:
        assert (await datasette.client.get(page)).status_code == 200, page
        traced_queries.clear()
        again = f"{page}{'&' if '?' in page else '?'}_=2"  # not an answer from the page cache
        assert (await datasette.client.get(again)).status_code == 200, again
        for sql in set(traced_queries):
            if not sql.lstrip().lower().startswith(("select", "with")):
                continue
            steps = next((s for s in (_scans(conn, sql) for conn in connections) if s is not None), None)
            if steps is not None:
                checked += 1
                scanning += [(page, step, " ".join(sql.split())[:160]) for step in steps]
    assert checked > len(pages)
    return scanning


async def test_no_page_scans_a_table_that_grows_with_the_ledger(sample_db, traced_queries):
    with sqlite3.connect(sample_db) as conn:
        assert await _scanning(make_datasette([sample_db]), _pages(conn, sample_db.stem), traced_queries, [conn]) == []


async def test_nor_when_the_ledger_is_in_year_databases(sample_db, tmp_path, traced_queries):
    """Served from openup shard's databases, every page, and a year's ledger sorted and filtered by
    each column it is indexed by for readers."""
    assert run_openup("shard", "--db", sample_db, tmp_path).exit_code == 0
    national, *years = [tmp_path / "openup.db", *sorted(tmp_path.glob("openup_*.db"))]
    year = years[-1].stem
    with sqlite3.connect(national) as conn, sqlite3.connect(years[-1]) as in_year:
        number, voucher = in_year.execute("SELECT fakturanummer, verifikationsnummer FROM leverantorsreskontra "
                                          "WHERE fakturanummer <> '' AND verifikationsnummer <> '' LIMIT 1").fetchone()
        pages = [page for page in _pages(conn, year) if "leverantorsreskontra" not in page or "_facet" in page] + [
            f"/{year}/leverantorsreskontra?_sort_desc=nettobelopp", f"/{year}/leverantorsreskontra?_sort=bokforingsdatum",
            f"/{year}/leverantorsreskontra?fakturanummer={number}", f"/{year}/leverantorsreskontra?verifikationsnummer={voucher}",
            f"/{year}/leverantorsreskontra?konto_nr=6550&_sort_desc=bokforingsdatum",
            f"/{year}/leverantorsreskontra?bokforingsdatum__gte={year[-4:]}-06-01&bokforingsdatum__lte={year[-4:]}-06-30"]
        datasette = make_datasette([national, *years])
        assert await _scanning(datasette, pages, traced_queries, [in_year, conn]) == []


async def test_the_check_sees_a_scan(sample_db):
    with sqlite3.connect(sample_db) as conn:
        assert _scans(conn, "SELECT sum(nettobelopp) FROM leverantorsreskontra WHERE konto_text = 'El'")
        assert not _scans(conn, "SELECT count(*) FROM leverantorsreskontra WHERE kopare_id = '212000-1355'")
        assert not _scans(conn, "select id, kopare_id from leverantorsreskontra order by id limit 51")
        assert _scans(conn, "select id, kopare_id from leverantorsreskontra order by konto_nr limit 51")


async def test_a_suppliers_page_reads_its_figures_from_indexes_alone(sample_db, traced_queries):
    """The page of the supplier with the most buyer-months (at national scale all of them: 36,500)
    reads its years and buyers from kopare_leverantor_ar's index alone, and a buyer's first and last
    month by a seek in kopare_leverantor_manad's key, never each buyer-month from the table. (The
    name-matched keys are other suppliers, small.)"""
    with sqlite3.connect(sample_db) as conn:
        supplier = conn.execute("SELECT leverantor_nyckel FROM kopare_leverantor_manad "
                                "GROUP BY 1 ORDER BY count(*) DESC").fetchone()[0]
        assert (await make_datasette([sample_db]).client.get(f"/inkop/leverantor/{supplier}")).status_code == 200
        steps = [step for sql in traced_queries if not sql.lstrip().startswith("WITH nycklar")
                 for step in (row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
                 if "kopare_leverantor_" in step]
    assert steps and [step for step in steps if " USING COVERING INDEX " not in step
                      and "(kopare_id=? AND leverantor_nyckel=?)" not in step] == []


async def test_a_months_rows_as_the_pages_link_them_are_read_in_index_order(sample_db, tmp_path, traced_queries):
    """The /inkop page's monthly figures and a buyer's link to the month's rows, of every buyer or
    of one: listed by date, those rows are read in the date index's order, not all sorted (a
    national month of every buyer is 830,000 rows of a year's database)."""
    assert run_openup("shard", "--db", sample_db, tmp_path).exit_code == 0
    national, *years = [tmp_path / "openup.db", *sorted(tmp_path.glob("openup_*.db"))]
    datasette = make_datasette([national, *years])
    with sqlite3.connect(national) as conn:
        buyer = conn.execute("SELECT kopare_id FROM kopare ORDER BY rader DESC").fetchone()[0]
    links = [row["rader_url"] for path in ("/inkop.json", f"/inkop/kopare/{buyer}.json")
             for row in (await datasette.client.get(path)).json()["per_manad"]]
    assert len(links) > 12
    for link in links[:3] + links[-3:]:
        sent = await datasette.client.get(link)
        assert sent.status_code == 302, link
        traced_queries.clear()
        assert (await datasette.client.get(sent.headers["location"])).status_code == 200
        rows_query = next(sql for sql in traced_queries if " limit 51" in sql)
        year = next(path for path in years if f"/{path.stem}/" in sent.headers["location"])
        with sqlite3.connect(year) as conn:
            plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {rows_query}")]
        assert not [step for step in plan if "TEMP B-TREE" in step and "RIGHT PART" not in step], (link, plan)
