"""From a ledger row to where it came from: the row page names the file, its line, where the
publisher published the file and when it was loaded, so a reader can check it at the source."""

from __future__ import annotations

from datasette import hookimpl


@hookimpl
def extra_template_vars(template, datasette, database):
    if template != "row.html":
        return {}

    async def row_source(row_id) -> dict | None:
        rows = (await datasette.get_database(database).execute(
            """SELECT f.id AS kallfil_id, f.filnamn, r.kallrad, f.kalla, f.licens, f.inlast
               FROM leverantorsreskontra r JOIN kallfiler f ON f.id = r.kallfil_id WHERE r.id = :id""",
            {"id": row_id})).rows
        return dict(rows[0]) if rows else None

    return {"row_source": row_source}
