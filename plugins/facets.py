"""Facets on the whole ledger read from the summaries built at load.

Datasette counts a column facet with a GROUP BY over the rows a table page shows: over a whole
ledger of ten million rows that takes a second, longer than the facet time limit, so the
ledger's default facet (per buyer) would time out on its unfiltered page. The rows per buyer of
the whole ledger are in kopare already, and those per account, unit and supplier in the
summaries of each. Datasette's column facet is kept for everything else (a filtered ledger,
other columns, other tables): this one takes its place and answers only those facets from the
summaries.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import ColumnFacet
from datasette.utils import path_with_added_args, path_with_removed_args

from .ledger import LEDGER, whole_table

# Ledger column -> the summary table, and the count of the whole ledger's rows per value from it.
WHOLE_LEDGER_COUNTS = {
    "kopare_id": ("kopare", "SELECT kopare_id AS value, rader AS count FROM kopare WHERE rader > 0"),
    "konto_nr": ("kopare_konto_manad", "SELECT konto_nr AS value, sum(rader) AS count FROM kopare_konto_manad "
                 "WHERE konto_nr IS NOT NULL GROUP BY konto_nr"),
    "forvaltning": ("kopare_forvaltning_manad", "SELECT forvaltning AS value, sum(rader) AS count "
                    "FROM kopare_forvaltning_manad WHERE forvaltning IS NOT NULL GROUP BY forvaltning"),
    "leverantor_nyckel": ("leverantor_konto", "SELECT leverantor_nyckel AS value, sum(rader) AS count "
                          "FROM leverantor_konto WHERE leverantor_nyckel IS NOT NULL GROUP BY leverantor_nyckel"),
}


def _column(config: dict) -> str:
    return config.get("column") or config["simple"]


class LedgerColumnFacet(ColumnFacet):
    summaries_served: frozenset = frozenset()  # this database's summary tables (set before the facets run)

    def _from_summary(self, config: dict) -> bool:
        column = _column(config)
        return (self.table == LEDGER and not self.params and whole_table(self.sql) and column in WHOLE_LEDGER_COUNTS
                and WHOLE_LEDGER_COUNTS[column][0] in self.summaries_served)

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
        self.summaries_served = frozenset(table for table, _ in WHOLE_LEDGER_COUNTS.values() if table in tables)
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
            self.database, f"{WHOLE_LEDGER_COUNTS[column][1]} ORDER BY count DESC, value LIMIT {size + 1}",
            custom_time_limit=self.ds.setting("facet_time_limit_ms"),
        )).rows
        labels = await self.ds.expand_foreign_keys(self.database, self.table, column,
                                                    [row["value"] for row in rows[:size]])
        return {
            "name": column,
            "type": self.type,
            "hideable": source_and_config["source"] != "metadata",
            "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet": column})),
            "results": [{
                "value": row["value"],
                "label": labels.get((column, row["value"]), row["value"]),
                "count": row["count"],
                "toggle_url": self.ds.absolute_url(
                    self.request, self.ds.urls.path(path_with_added_args(self.request, {column: row["value"]}))),
                "selected": False,  # the whole ledger: no value is filtered on
            } for row in rows[:size]],
            "truncated": len(rows) > size,
        }


@hookimpl(hookwrapper=True)
def register_facet_classes():
    outcome = yield
    outcome.force_result([[LedgerColumnFacet if cls is ColumnFacet else cls for cls in classes]
                          for classes in outcome.get_result()])
