"""A TCP proxy for fault tests: records what the client sends, and can cut the link after N client bytes.

It sees TLS as opaque bytes, so "cut during DATA" is "cut after N bytes" with N well past the handshake,
login and envelope (a few KB) and well before the end of a letter of a megabyte or more.
"""

from __future__ import annotations

import asyncio
import contextlib


class CuttingProxy:
    def __init__(self, target_port: int, *, cut_after: int | None = None) -> None:
        self.target_port = target_port
        self.cut_after = cut_after  # client->server bytes after which both sides are closed (None: never)
        self.captured = bytearray()  # everything the client sent, across connections
        self.connections = 0
        self.cuts = 0
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> CuttingProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        with contextlib.suppress(Exception):
            await self._server.wait_closed()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_w.close()
            return
        self._writers.update((client_w, server_w))
        sent = 0

        async def upstream() -> None:
            nonlocal sent
            while data := await client_r.read(65536):
                if self.cut_after is not None and sent + len(data) > self.cut_after:
                    keep = self.cut_after - sent
                    self.captured += data[:keep]
                    server_w.write(data[:keep])
                    with contextlib.suppress(Exception):
                        await server_w.drain()
                    self.cuts += 1
                    return  # then both sides are closed: the connection is cut mid-stream
                sent += len(data)
                self.captured += data
                server_w.write(data)
                await server_w.drain()

        async def downstream() -> None:
            while data := await server_r.read(65536):
                client_w.write(data)
                await client_w.drain()

        tasks = [asyncio.create_task(upstream()), asyncio.create_task(downstream())]
        with contextlib.suppress(Exception):
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        for writer in (client_w, server_w):
            # abort, not close: a cut is a reset, not a polite end of stream
            with contextlib.suppress(Exception):
                writer.transport.abort()
            self._writers.discard(writer)
