"""Facets on the whole ledger, or on a buyer's, supplier's or month's rows, read from the summaries built at load.

Datasette counts a column facet with a GROUP BY over the rows a table page shows: over a whole
ledger of ten million rows that takes a second, longer than the facet time limit, so the
ledger's default facet (per buyer) would time out on its unfiltered page; over the largest
buyer's rows of a national year, a quarter of a second. The rows per buyer are in kopare
already, those per account, unit and month in the summaries of each (per buyer), per supplier
in leverantor_konto, and a year's database holds them per supplier and buyer. Datasette's column
facet is kept for everything else (other filters, other columns, other tables): this one takes
its place and answers only those facets from the summaries.
"""

from __future__ import annotations

from functools import cached_property

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import ColumnFacet
from datasette.utils import path_with_added_args, path_with_removed_args

from .ledger import (LEDGER, MONTH_TOTALS, SUPPLIER_TOTALS, TOTALS_BY, WHOLE_LEDGER, SummarisedFilters,
                     summarised_filters, whole_table)

# Ledger column -> the summary tables that hold the ledger's rows per value (rader): of the whole
# ledger (under ()), and of a page with only the filters of a key of ledger.TOTALS_BY (under it;
# the table has the filters' columns too).
_OF_A_SUPPLIER = [columns for columns, table in TOTALS_BY.items() if table == SUPPLIER_TOTALS]
_OF_A_MONTH = [("manad",), ("kopare_id", "manad")]
SUMMARY_COUNTS = {
    "kopare_id": {(): "kopare", ("kopare_id",): "kopare", **dict.fromkeys(_OF_A_SUPPLIER, SUPPLIER_TOTALS),
                  **dict.fromkeys(_OF_A_MONTH, MONTH_TOTALS)},
    "konto_nr": dict.fromkeys([(), ("kopare_id",), *_OF_A_MONTH], "kopare_konto_manad"),
    "forvaltning": dict.fromkeys([(), ("kopare_id",), *_OF_A_MONTH], "kopare_forvaltning_manad"),
    # A year's rows per supplier and buyer count the suppliers of a buyer's page too.
    "leverantor_nyckel": {(): "leverantor_konto", **dict.fromkeys([("kopare_id",), *_OF_A_SUPPLIER], SUPPLIER_TOTALS)},
    "leverantor_id": dict.fromkeys([(), ("kopare_id",), *_OF_A_SUPPLIER], SUPPLIER_TOTALS),
}


def _column(config: dict) -> str:
    return config.get("column") or config["simple"]


def summary_count_sql(column: str, filters: SummarisedFilters) -> str:
    """The rows per value of column, as Datasette's facet counts them (nulls left out), of the
    rows the filters select (all for WHOLE_LEDGER)."""
    only = f" AND {filters.where}" if filters.where else ""
    return (f"SELECT {column} AS value, sum(rader) AS count FROM {SUMMARY_COUNTS[column][filters.columns]} "
            f"WHERE {column} IS NOT NULL{only} GROUP BY {column} HAVING count > 0")


class LedgerColumnFacet(ColumnFacet):
    summaries_served: frozenset = frozenset()  # this database's summary tables (set before the facets run)

    @cached_property
    def _filters(self) -> SummarisedFilters | None:
        """WHOLE_LEDGER, a page's filters that a summary holds, or None for any other page (whose
        facets Datasette counts)."""
        if self.table != LEDGER:
            return None
        if not self.params and whole_table(self.sql):
            return WHOLE_LEDGER
        return summarised_filters(self.sql, self.params)

    def _from_summary(self, config: dict) -> bool:
        filters = self._filters
        return filters is not None and SUMMARY_COUNTS.get(_column(config), {}).get(filters.columns) in self.summaries_served

    def get_configs(self):
        return [c for c in super().get_configs() if not self._from_summary(c["config"])]

    async def suggest(self):
        # The facets read from the summary are shown already: not to be suggested again.
        return [s for s in await super().suggest()
                if not self._from_summary({"simple": s["name"]})]

    async def facet_results(self):
        # A ledger exported per buyer (openup export) has no summary, a year's database (openup
        # shard) some: Datasette counts the rows of the others.
        tables = await self.ds.get_database(self.database).table_names()
        self.summaries_served = frozenset(table for tables_by_filter in SUMMARY_COUNTS.values()
                                          for table in tables_by_filter.values() if table in tables)
        results, timed_out = await super().facet_results()
        summarised = []
        for config in super().get_configs():
            if self._from_summary(config["config"]):
                try:
                    summarised.append(await self._summary_facet(config))
                except QueryInterrupted:  # as Datasette's own: named among the facets that took too long
                    timed_out.append(_column(config["config"]))
        return summarised + results, timed_out

    async def _summary_facet(self, source_and_config: dict) -> dict:
        column = _column(source_and_config["config"])
        size = self.get_facet_size()
        rows = (await self.ds.execute(
            self.database, f"{summary_count_sql(column, self._filters)} ORDER BY count DESC, value "
                           f"LIMIT {size + 1}",
            self.params, custom_time_limit=self.ds.setting("facet_time_limit_ms"),
        )).rows
        labels = await self.ds.expand_foreign_keys(self.database, self.table, column,
                                                    [row["value"] for row in rows[:size]])
        filtered = self.get_querystring_pairs()
        results = []
        for row in rows[:size]:
            selected = (column, str(row["value"])) in filtered  # as Datasette's: the filter's own value
            toggle = (path_with_removed_args(self.request, {column: str(row["value"])}) if selected
                      else path_with_added_args(self.request, {column: row["value"]}))
            results.append({"value": row["value"], "label": labels.get((column, row["value"]), row["value"]),
                            "count": row["count"], "toggle_url": self.ds.absolute_url(
                                self.request, self.ds.urls.path(toggle)), "selected": selected})
        return {
            "name": column,
            "type": self.type,
            "hideable": source_and_config["source"] != "metadata",
            "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet": column})),
            "results": results,
            "truncated": len(rows) > size,
        }


@hookimpl(hookwrapper=True)
def register_facet_classes():
    outcome = yield
    outcome.force_result([[LedgerColumnFacet if cls is ColumnFacet else cls for cls in classes]
                          for classes in outcome.get_result()])
