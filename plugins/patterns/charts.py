"""Vega-Lite specifications for the /inkop pages (drawn by the vendored vega-embed)."""

from __future__ import annotations

VENDOR = ("vendor/vega.min.js", "vendor/vega-lite.min.js", "vendor/vega-embed.min.js")
_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier, never fetched
_AMOUNT = {"type": "quantitative", "title": "Kronor", "axis": {"format": ",.0f"}}


def line(rows: list[dict], x: str, y: str, title: str) -> dict:
    return {
        "$schema": _SCHEMA, "title": title, "width": "container", "height": 220,
        "data": {"values": [{x: r[x], y: r[y]} for r in rows]},
        "mark": {"type": "line", "point": True},
        "encoding": {"x": {"field": x, "type": "ordinal", "title": None},
                     "y": {"field": y, **_AMOUNT},
                     "tooltip": [{"field": x}, {"field": y, "format": ",.2f"}]},
    }


def bar(rows: list[dict], category: str, amount: str, title: str) -> dict:
    return {
        "$schema": _SCHEMA, "title": title, "width": "container",
        "height": {"step": 18},
        "data": {"values": [{category: str(r[category]), amount: r[amount]} for r in rows]},
        "mark": "bar",
        "encoding": {"y": {"field": category, "type": "nominal", "sort": "-x", "title": None},
                     "x": {"field": amount, **_AMOUNT},
                     "tooltip": [{"field": category}, {"field": amount, "format": ",.2f"}]},
    }
