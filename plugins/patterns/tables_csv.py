"""The /inkop pages' tables as CSV: `<page>.csv?tabell=<name>` gives one of the lists of the
page's JSON twin (the same fields, the same order), `rows` or the first list by default."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlencode

from datasette import Response
from openup.indicator import BadParameter


def table_csv_url(request, name: str) -> str:
    """The page's table name as CSV, for the same filters."""
    args = [(k, v) for k in request.args if k not in ("tabell", "_next") for v in request.args.getlist(k)]
    return f"{request.path}.csv?{urlencode([*args, ('tabell', name)])}"


def tables_of(data: dict) -> dict[str, list[dict]]:
    """Every list of objects in the page's data, by its dotted path (matchade_pa_namn.rows)."""
    found = {}
    for key, value in data.items():
        if isinstance(value, list) and all(isinstance(row, dict) for row in value):
            found[key] = value
        elif isinstance(value, dict):
            found.update({f"{key}.{inner}": rows for inner, rows in tables_of(value).items()})
    return found


def csv_text(rows: list[dict]) -> str:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([_csv_value(row.get(column)) for column in columns] for row in rows)
    return out.getvalue()


def _csv_value(value):
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def csv_response(text: str, filename: str) -> Response:
    return Response(text, content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}.csv"', "Access-Control-Allow-Origin": "*"})


def table_csv(data: dict, asked: str | None, page_name: str) -> Response:
    tables = tables_of({k: v for k, v in data.items() if k not in ("filter", "indicator")})
    name = asked or ("rows" if "rows" in tables else next(iter(tables), ""))
    if name not in tables:
        raise BadParameter(f"tabell: välj en av {', '.join(tables)}")
    return csv_response(csv_text(tables[name]), f"{page_name}-{name}")
