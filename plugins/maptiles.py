"""A plain map background served by the instance itself.

datasette-cluster-map draws on OpenStreetMap tiles by default, which makes every visitor's
browser call a third party. The published instance keeps all requests on its own host: the
buyers' markers are drawn on this neutral background (metadata.yml, `tile_layer`), and an
operator who wants street maps sets `tile_layer` to a tile server of their choice.
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

from datasette import Response, hookimpl

_SEA_BLUE = (0xDD, 0xE8, 0xF0)


@lru_cache(maxsize=1)
def plain_tile(size: int = 256, colour: tuple[int, int, int] = _SEA_BLUE) -> bytes:
    """A PNG of one colour (written here: one tiny image does not justify an imaging library)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(colour) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(row * size, 9)) + chunk(b"IEND", b""))


async def tile(request):
    return Response(plain_tile(), content_type="image/png",
                    headers={"Cache-Control": "public, max-age=604800"})


@hookimpl
def register_routes():
    return [(r"^/-/kartbakgrund/\d+/\d+/\d+\.png$", tile)]
