"""A lean HTTP/1.1 load generator: keep-alive connections over asyncio streams.

A general-purpose client (httpx, aiohttp) spends more CPU per request than the
gateway under test; this one writes pre-built request bytes and reads just enough
of each response to find its end (Content-Length, chunked, or the connection
closing), so both cores are not spent on the load.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class LoadResult:
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    elapsed: float = 0.0  # from the first request to the last answer
    started: float = 0.0  # time.monotonic() of the first request
    timed_out: bool = False  # `time_limit` ran out before every request was answered

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def build_post(host: str, path: str, token: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailer fields
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep the connection open) of the next response."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length: int | None = None
    chunked = False
    keep_alive = not head.startswith(b"HTTP/1.0")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            token = value.strip().lower()
            keep_alive = token != b"close" and (keep_alive or token == b"keep-alive")
    if chunked:
        return status, await _read_chunked(reader), keep_alive
    if length is not None:
        return status, (await reader.readexactly(length) if length else b""), keep_alive
    if status in (204, 304) or 100 <= status < 200:
        return status, b"", keep_alive
    return status, await reader.read(), False  # the body runs to the end of the connection


async def run_load(
    host: str,
    port: int,
    requests: Callable[[int], bytes],
    *,
    total: int,
    concurrency: int,
    keep_bodies: bool = False,
    on_response: Callable[[int, bytes], None] | None = None,
    time_limit: float | None = None,
) -> LoadResult:
    """Send `total` requests (request i is `requests(i)`) over `concurrency` connections.

    `on_response(status, body)` sees every answer as it comes. A connection the server
    closes is opened again; a request it closed without answering counts as status 0.
    After `time_limit` seconds the unsent requests are dropped and `timed_out` is set.
    """
    result = LoadResult()
    counter = iter(range(total))

    def record(started: float, status: int, body: bytes) -> None:
        result.latencies.append(time.perf_counter() - started)
        result.statuses[status] = result.statuses.get(status, 0) + 1
        result.sent += 1
        if keep_bodies:
            result.bodies.append(body)
        if on_response is not None:
            on_response(status, body)

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        keep_alive = True
        try:
            for i in counter:
                if not keep_alive:
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                started = time.perf_counter()
                writer.write(requests(i))
                try:
                    status, body, keep_alive = await _read_response(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    status, body, keep_alive = 0, b"", False
                record(started, status, body)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    started = time.perf_counter()
    try:
        async with asyncio.timeout(time_limit):
            # Connected first, so connection set-up (and a server's short listen backlog)
            # is not timed as the first requests.
            connections = await asyncio.gather(
                *(asyncio.open_connection(host, port) for _ in range(concurrency))
            )
            result.started, started = time.monotonic(), time.perf_counter()
            await asyncio.gather(*(worker(r, w) for r, w in connections))
    except TimeoutError:
        result.timed_out = True
    result.elapsed = time.perf_counter() - started
    return result


def message_ids(bodies: list[bytes]) -> list[str]:
    ids: list[str] = []
    for body in bodies:
        ids += [m["id"] for m in json.loads(body).get("messages", [])]
    return ids
