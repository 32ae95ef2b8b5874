"""Finding the served database that holds the ledger (the plugins read only it)."""

from __future__ import annotations


async def ledger_database(datasette):
    """The first served database with the ledger's summary tables, or None."""
    for database in datasette.databases.values():
        if database.name != "_internal" and await database.table_exists("kopare_leverantor_manad"):
            return database
    return None
