"""CPU per webhook POST: smsgate's WebhookClient against httpx.AsyncClient, on the loopback.

A minimal asyncio HTTP server (in this file, run as a child process so that its CPU is not
counted) answers every POST with 200; each client sends a warm-up round, then `--requests`
POSTs at `--concurrency`, and the table gives the client process's CPU µs per request.
Run: .venv/bin/python bench/webhook_client_bench.py [--requests N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, cast

import httpx
import uvloop

from smsgate.webhooks.client import WebhookClient

BODY = (
    b'{"event":"message.status","id":"01J9Z8Q5K3M7N2P4R6T8V0W2X4","batch_id":null,'
    b'"reference":"order-20931","to":"+393331234567","from":"ACME","status":"delivered",'
    b'"error":null,"parts":1,"cost":"0.045000","currency":"EUR",'
    b'"created_at":"2025-01-01T10:00:00.000Z","sent_at":"2025-01-01T10:00:00.120Z",'
    b'"done_at":"2025-01-01T10:00:03.410Z"}'
)
HEADERS = {
    "Content-Type": "application/json",
    "X-Smsgate-Signature": "t=1735725603,v1=" + "5f2b0c9e8d7a6b5c4d3e2f1a0b9c8d7e" * 2,
}
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
SERVER_LIFETIME = 300.0  # seconds; the server child stops by itself after this
LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "uvloop": uvloop.new_event_loop,
    "asyncio": asyncio.new_event_loop,
}

Post = Callable[[], Awaitable[int]]


class AnswerEveryPost(asyncio.Protocol):
    """Server side: reads requests framed by Content-Length and answers each with 200."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        answers = 0
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buffer[:end]).lower()
            start = head.find(b"content-length:")
            length = int(head[start + 15 :].split(b"\r\n", 1)[0]) if start >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                break
            del self.buffer[: end + 4 + length]
            answers += 1
        if answers and self.transport is not None:
            self.transport.write(ANSWER * answers)


async def serve() -> None:
    """Print the port, then answer until stdin closes or SERVER_LIFETIME has passed."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(AnswerEveryPost, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    stdin_closed: asyncio.Future[None] = loop.create_future()

    def on_stdin() -> None:  # the parent only ever closes it
        if not stdin_closed.done():
            stdin_closed.set_result(None)

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stdin_closed, SERVER_LIFETIME)
    server.close()


async def drive(post: Post, requests: int, concurrency: int) -> None:
    """Send `requests` POSTs from `concurrency` tasks; every answer must be 200."""
    left = requests

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            status = await post()
            if status != 200:
                raise SystemExit(f"unexpected HTTP {status}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def measure(post: Post, requests: int, concurrency: int) -> tuple[float, float]:
    """(CPU µs per request, requests per second) of one measured round after a warm-up."""
    await drive(post, min(requests, 1000), concurrency)
    cpu, wall = time.process_time(), time.perf_counter()
    await drive(post, requests, concurrency)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu / requests * 1e6, requests / wall


async def with_smsgate(url: str, requests: int, concurrency: int) -> tuple[float, float]:
    client = WebhookClient(timeout=10.0)
    try:
        return await measure(lambda: client.post(url, BODY, HEADERS), requests, concurrency)
    finally:
        await client.close()


async def with_httpx(url: str, requests: int, concurrency: int) -> tuple[float, float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=10.0, limits=limits) as client:

        async def post() -> int:
            response = await client.post(url, content=BODY, headers=HEADERS)
            return response.status_code

        return await measure(post, requests, concurrency)


CLIENTS: dict[str, Callable[[str, int, int], Coroutine[Any, Any, tuple[float, float]]]] = {
    "smsgate WebhookClient": with_smsgate,
    f"httpx {httpx.__version__} AsyncClient": with_httpx,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000, help="measured POSTs per client")
    parser.add_argument("--concurrency", type=int, default=20, help="POSTs in flight")
    parser.add_argument("--loop", choices=[*LOOPS, "both"], default="both")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        uvloop.run(serve())
        return
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{int(server.stdout.readline())}/hook"
        print(
            f"python {platform.python_version()} on {platform.machine()}, "
            f"{args.requests} POSTs of {len(BODY)} bytes at concurrency {args.concurrency}\n"
        )
        print("| client | loop | CPU µs/request | req/s |")
        print("|---|---|---:|---:|")
        for loop_name, loop_factory in LOOPS.items():
            if args.loop not in (loop_name, "both"):
                continue
            for client_name, run in CLIENTS.items():
                with asyncio.Runner(loop_factory=loop_factory) as runner:
                    cpu, rate = runner.run(run(url, args.requests, args.concurrency))
                print(f"| {client_name} | {loop_name} | {cpu:,.1f} | {rate:,.0f} |", flush=True)
    finally:
        if server.stdin is not None:
            server.stdin.close()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
