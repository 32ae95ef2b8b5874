"""Finding the served database that holds the ledger (the plugins read only it)."""

from __future__ import annotations

import sqlite3


async def ledger_database(datasette):
    """The first served database with the ledger's summary tables, or None."""
    for database in datasette.databases.values():
        if database.name != "_internal" and await database.table_exists("kopare_leverantor_manad"):
            return database
    return None


def version(conn: sqlite3.Connection) -> tuple:
    """Changes whenever a load changes the database: what is built from it is rebuilt only then."""
    return conn.execute("SELECT (SELECT varde FROM databasinfo WHERE nyckel = 'senast_inlast'), "
                        "(SELECT count(*) FROM kallfiler), (SELECT max(id) FROM kallfiler)").fetchone()
