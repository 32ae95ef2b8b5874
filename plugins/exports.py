"""Links from a buyer's page to the files `openup export` wrote for it (served under /exporter/)."""

from __future__ import annotations

from pathlib import Path

from datasette import hookimpl

EXPORTS_MOUNT = "exporter"  # the URL path the export folder is served under


@hookimpl
def extra_template_vars(template, datasette):
    if template != "row.html":
        return {}
    folders = [Path(d) for mount, d in datasette.static_mounts if mount == EXPORTS_MOUNT]

    def buyer_files(buyer_id: str) -> list[tuple[str, str]]:
        for folder in folders:
            directory = folder / buyer_id
            if directory.is_dir() and directory.resolve().parent == folder.resolve():
                return [(f.name, f"/{EXPORTS_MOUNT}/{buyer_id}/{f.name}")
                        for f in sorted(directory.iterdir()) if f.suffix in (".csv", ".db")]
        return []

    return {"buyer_files": buyer_files}
