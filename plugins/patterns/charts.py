"""Vega-Lite specifications for the /inkop pages (drawn by the vendored vega-embed)."""

from __future__ import annotations

from openup.periods import periods

VENDOR = ("vendor/vega.min.js", "vendor/vega-lite.min.js", "vendor/vega-embed.min.js")
_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier, never fetched
_AMOUNT = {"type": "quantitative", "title": "Kronor", "axis": {"format": ",.0f"}}


def line(rows: list[dict], x: str, y: str, title: str, span: tuple[str, str] | None = None) -> dict:
    """y over time, x a month (YYYY-MM) or a year: on a time axis from span's first to last
    period (the rows' by default), where a period without a row is a gap, never a line across."""
    values = {str(r[x]): r[y] for r in rows}
    first, last = span or (min(values, default=""), max(values, default=""))
    yearly = len(first) == 4
    time = {"field": x, "type": "temporal", "timeUnit": "utcyear" if yearly else "utcyearmonth"}
    form = "%Y" if yearly else "%Y-%m"
    return {
        "$schema": _SCHEMA, "title": title, "width": "container", "height": 220,
        "description": f"Linjediagram: {title}, kronor per {'år' if yearly else 'månad'}. Tabellen intill har siffrorna.",
        "data": {"values": [{x: period, y: values.get(period)}
                            for period in (periods(first, last) if first else [])]},
        "mark": {"type": "line", "point": True, "invalid": "break-paths-show-domains"},
        "encoding": {"x": {**time, "title": None, "axis": {"format": form}},
                     "y": {"field": y, **_AMOUNT},
                     "tooltip": [{**time, "format": form, "title": "År" if yearly else "Månad"},
                                 {"field": y, "format": ",.2f"}]},
    }


def bar(rows: list[dict], category: str, amount: str, title: str) -> dict:
    return {
        "$schema": _SCHEMA, "title": title, "width": "container",
        "height": {"step": 18},
        "description": f"Stapeldiagram: {title}, störst först, i kronor. Tabellen intill har siffrorna.",
        "data": {"values": [{category: str(r[category]), amount: r[amount]} for r in rows]},
        "mark": "bar",
        "encoding": {"y": {"field": category, "type": "nominal", "sort": "-x", "title": None},
                     "x": {"field": amount, **_AMOUNT},
                     "tooltip": [{"field": category}, {"field": amount, "format": ",.2f"}]},
    }
