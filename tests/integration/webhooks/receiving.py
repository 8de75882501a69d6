"""A webhook receiver on the loopback: reads POSTs framed by Content-Length and lets a
subclass answer each one; `serving` runs it for a test and stops its handlers after."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar


class LoopbackReceiver:
    def __init__(self) -> None:
        self.port = 0
        self.connections = 0
        self.handlers: set[asyncio.Task[None]] = set()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def answer(
        self, path: str, headers: dict[str, str], body: bytes, writer: asyncio.StreamWriter
    ) -> None:
        raise NotImplementedError

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        handler = asyncio.current_task()
        assert handler is not None
        self.handlers.add(handler)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                headers = {
                    k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)
                }
                body = await reader.readexactly(int(headers["content-length"]))
                await self.answer(lines[0].split()[1], headers, body, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
        except asyncio.CancelledError:
            writer.close()
            raise


R = TypeVar("R", bound=LoopbackReceiver)


@asynccontextmanager
async def serving(receiver: R) -> AsyncIterator[R]:
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    async with server:
        yield receiver
        for handler in receiver.handlers:
            handler.cancel()
        await asyncio.gather(*receiver.handlers, return_exceptions=True)
