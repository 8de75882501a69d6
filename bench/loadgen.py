"""A lean HTTP/1.1 load generator: keep-alive connections over asyncio streams.

A general-purpose client (httpx, aiohttp) spends more CPU per request than the
gateway under test; this one writes pre-built request bytes and reads just enough
of each response to find its end, so both cores are not spent on the load.
"""

from __future__ import annotations

import asyncio
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
    elapsed: float = 0.0

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


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length) if length else b""
    return status, body


async def run_load(
    host: str,
    port: int,
    requests: Callable[[int], bytes],
    *,
    total: int,
    concurrency: int,
    keep_bodies: bool = False,
) -> LoadResult:
    """Send `total` requests (request i is `requests(i)`) over `concurrency` connections."""
    result = LoadResult()
    counter = iter(range(total))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for i in counter:
                started = time.perf_counter()
                writer.write(requests(i))
                status, body = await _read_response(reader)
                result.latencies.append(time.perf_counter() - started)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                result.sent += 1
                if keep_bodies:
                    result.bodies.append(body)
        finally:
            writer.close()
            await writer.wait_closed()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - started
    return result


def message_ids(bodies: list[bytes]) -> list[str]:
    ids: list[str] = []
    for body in bodies:
        ids += [m["id"] for m in json.loads(body).get("messages", [])]
    return ids
