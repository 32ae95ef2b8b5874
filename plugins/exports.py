"""The files `openup export` wrote, served under /exporter/: linked from each buyer's page, and
listed at /exporter/ (and /exporter.json) with each buyer's name."""

from __future__ import annotations

import json
from pathlib import Path

from datasette import Response, hookimpl

from .ledger import ledger_database

EXPORTS_MOUNT = "exporter"  # the URL path the export folder is served under


def _folders(datasette) -> list[Path]:
    return [Path(d) for mount, d in datasette.static_mounts if mount == EXPORTS_MOUNT]


def buyer_files(folders: list[Path], buyer_id: str) -> list[tuple[str, str]]:
    for folder in folders:
        directory = folder / buyer_id
        if directory.is_dir() and directory.resolve().parent == folder.resolve():
            return [(f.name, f"/{EXPORTS_MOUNT}/{buyer_id}/{f.name}")
                    for f in sorted(directory.iterdir()) if f.suffix in (".csv", ".db")]
    return []


@hookimpl
def extra_template_vars(template, datasette):
    if template != "row.html":
        return {}
    folders = _folders(datasette)
    return {"buyer_files": lambda buyer_id: buyer_files(folders, buyer_id)}


async def exports_index(datasette, request):
    database = await ledger_database(datasette)
    names = dict((await database.execute("SELECT kopare_id, kopare FROM kopare ORDER BY kopare")).rows)
    folders = _folders(datasette)
    buyers = [{"kopare_id": buyer, "kopare": name,
               "filer": [{"namn": n, "url": datasette.absolute_url(request, url)}
                         for n, url in buyer_files(folders, buyer)]}
              for buyer, name in names.items()]
    buyers = [b for b in buyers if b["filer"]]
    if request.url_vars.get("json"):
        return Response(json.dumps({"rows": buyers}, ensure_ascii=False),
                        content_type="application/json; charset=utf-8", headers={"Access-Control-Allow-Origin": "*"})
    return Response.html(await datasette.render_template("exporter.html", {"rows": buyers}, request=request))


@hookimpl
def register_routes():
    return [(rf"^/{EXPORTS_MOUNT}(?:/|(?P<json>\.json))$", exports_index)]
