"""The lean server's listener: serves until `should_exit`, then lets the requests being
answered finish (up to `grace` seconds) and closes every connection.

It offers what `serving` uses of uvicorn.Server: `serve(sockets)`, `started`, `should_exit`.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence

from starlette.types import ASGIApp

from smsgate.api.front.connection import Connection, Shared
from smsgate.api.http_limits import ConnectionLimits

BACKLOG = 2048
TICK = 0.1  # how often `should_exit` is looked at, as uvicorn does


class LeanServer:
    def __init__(
        self,
        app: ASGIApp,
        limits: ConnectionLimits,
        *,
        host: str,
        port: int,
        keepalive: float,
        grace: float = 10.0,
    ) -> None:
        self.shared = Shared(app, limits, keepalive)
        self.host = host
        self.port = port
        self.grace = grace
        self.started = False
        self.should_exit = False
        self.servers: list[asyncio.Server] = []

    async def serve(self, sockets: Sequence[socket.socket] | None = None) -> None:
        loop = asyncio.get_running_loop()
        shared = self.shared

        def connection() -> Connection:
            return Connection(shared)

        if sockets:
            servers = [
                await loop.create_server(connection, sock=sock, backlog=BACKLOG) for sock in sockets
            ]
        else:
            servers = [await loop.create_server(connection, self.host, self.port, backlog=BACKLOG)]
        self.servers = servers
        self.started = True
        try:
            # `should_exit` is a flag, as uvicorn's: there is no event to wait on.
            while not self.should_exit:  # noqa: ASYNC110
                await asyncio.sleep(TICK)
        finally:
            for server in servers:
                server.close()
            await self._close_connections()

    async def _close_connections(self) -> None:
        shared = self.shared
        shared.closing = True
        for conn in list(shared.connections):
            conn.close_if_idle()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.grace
        while shared.connections and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(TICK / 10)
        for conn in list(shared.connections):
            conn.transport.close()
