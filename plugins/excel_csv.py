"""CSV for Swedish Excel: `/<db>/<table>.excel.csv?<the table page's filters>` streams every row
the table page lists, separated by semicolons, with decimal commas, as UTF-8 with a byte order
mark (without which Excel reads å, ä and ö wrongly). Opened in Excel set to Swedish, amounts are
numbers at once. The column names stay the national specification's.

The rows are read page by page from Datasette's own JSON for the same filters, so the filters,
sorting and order mean exactly what they mean on the table page.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import AsgiStream, Response

_OWN = {"_size", "_next", "_shape", "_facet", "_stream", "_labels", "_dl"}
BOM = "\ufeff"


def excel_value(value):
    if isinstance(value, float):
        return repr(value).replace(".", ",") if value == value else ""
    return "" if value is None else value


async def excel_csv(datasette, request):
    database, table = request.url_vars["database"], request.url_vars["table"]
    args = [(key, value) for key in request.args if key not in _OWN for value in request.args.getlist(key)]
    path = f"/{database}/{table}.json"

    async def page(next_token=None):
        query = [*args, ("_size", "max"), ("_shape", "objects"), *([("_next", next_token)] if next_token else [])]
        return await datasette.client.get(f"{path}?{urlencode(query)}")

    first = await page()
    if first.status_code != 200:
        return Response(first.text, status=first.status_code, content_type=first.headers["content-type"])

    async def stream(writer):
        answer = first.json()
        out = io.StringIO()
        lines = csv.writer(out, delimiter=";")
        lines.writerow(answer["columns"])
        await writer.write(BOM + out.getvalue())
        while True:
            out.seek(0)
            out.truncate()
            lines.writerows([excel_value(row[c]) for c in answer["columns"]] for row in answer["rows"])
            await writer.write(out.getvalue())
            if not answer.get("next"):
                return
            answer = (await page(answer["next"])).json()

    return AsgiStream(stream, content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{table}.csv"'})


@hookimpl
def register_routes():
    return [(r"^/(?P<database>[^/]+)/(?P<table>[^/]+)\.excel\.csv$", excel_csv)]
