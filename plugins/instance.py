"""The published instance's configuration, shared by `openup serve`, the Dockerfile and tests.

One function builds the Datasette object, so what the tests check is what is deployed:
settings, templates, metadata.yml with every column described from the schema contract,
and an inspect file so that table counts are instant on an immutable database.
"""

from __future__ import annotations

import copy
from html import escape
import json
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import yaml
from datasette.app import Datasette
from openup.indicators import INDICATORS
from openup.schema import DOCUMENTED_TABLES, LEDGER
from openup.shards import year_of_database

from .exports import EXPORTS_MOUNT

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "metadata.yml"
TEMPLATES = ROOT / "templates"

SQL_TIME_LIMIT_MS = 4000
SETTINGS = {
    # Suggested facets cost about a second per page on a million-row table.
    "suggest_facets": False,
    "facet_time_limit_ms": 600,
    "sql_time_limit_ms": SQL_TIME_LIMIT_MS,
    # Ad hoc SQL may use two of them at once (capacity.py): the pages always find a free one.
    "num_sql_threads": 6,
    # Exports stream to the end: a large CSV is complete, never silently cut.
    "allow_csv_stream": True,
    "max_csv_mb": 0,
    "allow_download": True,
    "default_page_size": 50,
    "default_cache_ttl": 3600,
    "truncate_cells_html": 200,
}


def instance_metadata(database_names: list[str]) -> dict:
    """metadata.yml, its database block applied to every served database, with the title and
    description of every table and column taken from the schema (scripts/schema.py)."""
    metadata = yaml.safe_load(METADATA.read_text("utf-8"))
    template = metadata.pop("database", {})
    tables = template.setdefault("tables", {})
    for table in DOCUMENTED_TABLES:
        entry = tables.setdefault(table.name, {})
        entry.setdefault("description", table.sv)
        entry["columns"] = {c.name: _column_description(c) for c in table.columns}
    template.setdefault("queries", {}).update(flag_queries())
    metadata["databases"] = {name: copy.deepcopy(template) for name in database_names}
    return metadata


def flag_queries() -> dict:
    """A canned query per indicator over flaggor, with its description (Swedish)."""
    return {f"flaggor_{slug.replace('-', '_')}": {
        "title": f"Flaggor: {indicator.title}",
        "description_html": (f"<p>{escape(indicator.flags)}</p><p><strong>Förbehåll:</strong> "
                             f"{escape(indicator.caveats)}</p><p>Beräknade med standardparametrarna när "
                             f"databasen byggdes. Metod, källor och andra parametrar: "
                             f'<a href="/inkop/flaggor/{slug}">/inkop/flaggor/{slug}</a>. Lämna kopare_id '
                             "och ar tomma för alla.</p>"),
        "sql": ("SELECT kopare_id, kopare, leverantor_id, leverantor, ar, belopp, detaljer, rader_url\n"
                f"FROM flaggor WHERE indikator = '{slug}'\n"
                "  AND (:kopare_id = '' OR kopare_id = :kopare_id)\n"
                "  AND (:ar = '' OR ar IS NULL OR ar = CAST(:ar AS INTEGER))\n"
                "ORDER BY sortering DESC, belopp DESC"),
    } for slug, indicator in INDICATORS.items()}


def _column_description(column) -> str:
    unit = f" ({column.unit})" if column.unit else ""
    return f"{column.sv}{unit}. {column.en}{unit}."


def inspect_file(database: Path) -> Path:
    """The inspect file beside database (table counts, hash), made anew when the database changes."""
    target = database.with_suffix(".inspect.json")
    if not target.exists() or target.stat().st_mtime < database.stat().st_mtime:
        datasette = Path(sys.executable).parent / "datasette"
        subprocess.run([str(datasette), "inspect", str(database), "--inspect-file", str(target)],
                       check=True)
    return target


def _fit_to_tables(metadata: dict, database: Path) -> None:
    """A database's metadata without the canned queries it has no tables for: a national database
    of year databases (openup shard) has no ledger, a year's database no flags. A year's
    database's ledger and buyers are described as that year's."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        queries = metadata.get("queries", {})
        for name in [name for name, query in queries.items() if not _answerable(conn, query["sql"])]:
            del queries[name]
        year = year_of_database(conn)
        if year is not None:  # so that no figure of the year is read as of every year
            tables = metadata["tables"]
            tables["kopare"]["description"] = (f"Köparna bokföringsåret {year}: rader, summa, första och sista "
                                               "datum gäller bara årets rader (alla år: kopare i den nationella databasen)")
            tables[LEDGER.name]["description"] = f"Bokföringsåret {year}. {LEDGER.sv}"


def _answerable(conn: sqlite3.Connection, sql: str) -> bool:
    try:
        conn.execute(f"EXPLAIN {sql}", {name: None for name in re.findall(r":(\w+)", sql)})
    except sqlite3.OperationalError as error:
        if "no such" in str(error):
            return False
        raise
    return True


SERVED_DATABASES, SERVED_EXPORTS = "OPENUP_SERVED_DATABASES", "OPENUP_SERVED_EXPORTS"


def app_from_environment():
    """The ASGI app of the instance that `openup serve` describes in the environment: each
    worker process of a multi-process server builds its own from the same description."""
    databases = [Path(p) for p in os.environ[SERVED_DATABASES].split(os.pathsep)]
    exports = os.environ.get(SERVED_EXPORTS)
    return make_datasette(databases, exports=Path(exports) if exports else None).app()


def make_datasette(databases: list[Path], *, inspect: bool = True, exports: Path | None = None) -> Datasette:
    """The instance serving databases (immutable), configured as it is published; exports is
    a folder written by `openup export`, served under /exporter/."""
    inspect_data = {}
    if inspect:
        for database in databases:
            inspect_data.update(json.loads(inspect_file(database).read_text()))
    metadata = instance_metadata([d.stem for d in databases])
    for database in databases:
        _fit_to_tables(metadata["databases"][database.stem], database)
    return Datasette(
        immutables=[str(d) for d in databases],
        inspect_data=inspect_data or None,
        metadata=metadata,
        template_dir=str(TEMPLATES),
        settings=SETTINGS,
        cors=True,
        static_mounts=[(EXPORTS_MOUNT, str(exports))] if exports else None,
    )
