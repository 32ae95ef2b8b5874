"""A lean HTTP/1.1 client for load benchmarks: one keep-alive connection on asyncio streams and
just enough parsing (status line, headers, a Content-Length or chunked body) for the load
generator, which shares the machine's cores with the server, to spend little CPU per request.
httpx took a whole core at 240 requests/s, and its own queue became most of what was measured."""

from __future__ import annotations

import asyncio


class Connection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str, timeout: float) -> tuple[int, dict[bytes, bytes]]:
        """Status and headers of GET target, its body read and dropped. On a timeout the
        connection is closed (its state is unknown) and the next request opens another."""
        try:
            return await asyncio.wait_for(self._get(target), timeout)
        except BaseException:
            self.close()
            raise

    async def _get(self, target: str) -> tuple[int, dict[bytes, bytes]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
        head = (await self.reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        status = int(head[0].split()[1])
        headers = dict(line.split(b": ", 1) for line in head[1:] if line)
        headers = {name.lower(): value for name, value in headers.items()}
        if b"content-length" in headers:
            await self.reader.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding") == b"chunked":
            size = -1
            while size:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)  # the chunk and its CRLF (no trailers)
        if headers.get(b"connection") == b"close":
            self.close()
        return status, headers

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
