"""How much a single-message request costs, layer by layer: the ceiling behind workload 1.

`bench.compare` measures whole gateways. This measures the layers of smsgate's HTTP
worker on their own, with the same load generator and request, so the figures say how
fast a Python worker could go at best on this machine:

1. `raw`: a server answering every request with a fixed 202 from an asyncio Protocol
   and httptools, no framework (the floor of the event loop, the sockets and the parser);
2. `uvicorn`: the same answer from a bare ASGI app under uvicorn (the server smsgate's
   workers run), the body read and parsed as JSON; `limits`: the same under the protocol
   class with the connection limits the workers use (`api/http_limits.py`, defaults);
3. `in-process`: smsgate's `POST /api/v1/messages` on a SQLite store, called as an ASGI
   app without sockets (authentication, parsing, the submit service, pricing, and the
   group commit), at concurrency 1, 10 and 50. Nothing is dispatched.

Servers run as separate processes; their CPU per request is read from /proc. Run:

    .venv/bin/python -m bench.ceiling [--count 40000] [--loop uvloop|asyncio]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import httptools
import uvloop

from bench.compare.runner import CLOCK_TICKS, cpu_ticks, destination
from bench.compare.smsgate_gateway import free_port
from bench.loadgen import build_post, run_load
from bench.smpp_bench import machine_speed

TEXT = "ceiling 000001"
ANSWER = json.dumps(
    {
        "batch_id": "0" * 26,
        "messages": [{"id": "0" * 26, "to": destination(1), "parts": 1, "status": "queued"}],
        "cost": "0.040000",
        "currency": "EUR",
    }
).encode()
RESPONSE = (
    b"HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\n"
    b"content-length: %d\r\n\r\n" % len(ANSWER) + ANSWER
)
CONCURRENCY = (10, 50)
IN_PROCESS_CONCURRENCY = (1, 10, 50)


@dataclass(frozen=True, slots=True)
class Row:
    layer: str
    concurrency: int
    requests: int
    per_second: float
    cpu_us: float  # CPU of the server (or of the in-process app) per request


def request_body() -> bytes:
    return json.dumps({"to": [destination(1)], "from": "bench", "text": TEXT}).encode()


class FixedAnswer(asyncio.Protocol):
    """Answers every complete request on the connection with RESPONSE."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without deriving from it.
        self._transport = cast(asyncio.Transport, transport)
        self._parser = httptools.HttpRequestParser(self)

    def data_received(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def on_message_complete(self) -> None:
        self._transport.write(RESPONSE)


async def asgi_answer(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[dict[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    json.loads(body)
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 202, "headers": headers})
    await send({"type": "http.response.body", "body": ANSWER})


async def serve(layer: str, port: int) -> None:
    if layer == "raw":
        server = await asyncio.get_running_loop().create_server(FixedAnswer, "127.0.0.1", port)
        await server.serve_forever()
    else:
        import uvicorn

        from smsgate.api.http_limits import ConnectionLimits, guarded_protocol

        http = guarded_protocol(ConnectionLimits(10, 30, 256)) if layer == "limits" else "auto"
        config = uvicorn.Config(
            asgi_answer, host="127.0.0.1", port=port, http=http, log_level="warning",
            lifespan="off",
        )  # fmt: skip
        await uvicorn.Server(config).serve()


def wait_for_port(port: int, proc: subprocess.Popen[bytes], limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {limit:.0f} s")


def measure_server(layer: str, count: int, loop: str) -> list[Row]:
    port = free_port()
    command = [sys.executable, "-m", "bench.ceiling", "--serve", layer, "--port", str(port)]
    command += ["--loop", loop]
    proc = subprocess.Popen(command)
    rows = []
    try:
        wait_for_port(port, proc)
        request = build_post("127.0.0.1", "/api/v1/messages", "key", request_body())
        for concurrency in CONCURRENCY:
            rows.append(asyncio.run(_load(layer, port, proc.pid, request, concurrency, count)))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return rows


async def _load(
    layer: str, port: int, pid: int, request: bytes, concurrency: int, count: int
) -> Row:
    await run_load("127.0.0.1", port, lambda _: request, total=1000, concurrency=concurrency)
    before = cpu_ticks(pid) or 0
    result = await run_load(
        "127.0.0.1", port, lambda _: request, total=count, concurrency=concurrency
    )
    used = ((cpu_ticks(pid) or 0) - before) / CLOCK_TICKS
    if result.statuses != {202: count}:
        raise RuntimeError(f"{layer}: unexpected answers {result.statuses}")
    return Row(layer, concurrency, count, count / result.elapsed, used / count * 1e6)


async def measure_in_process(count: int) -> list[Row]:
    # Imported here: the server processes above need none of the gateway.
    from smsgate.api.http import build_app
    from smsgate.app import Gateway
    from smsgate.config import Settings

    rows = []
    with tempfile.TemporaryDirectory(prefix="smsgate-ceiling-") as data:
        gateway = await Gateway.open(Settings(data_dir=data, demo=False))
        try:
            await gateway.accounts.set_price(None, "*", 40_000)
            created = await gateway.accounts.create("bench", credit=10**15, password="benchpw1")
            app = build_app(gateway.api_context())
            post = _asgi_post(app, created.api_key, request_body())
            for concurrency in IN_PROCESS_CONCURRENCY:
                each = max(1, count // concurrency)
                await _drive(post, concurrency, 1000 // concurrency)
                started, cpu = time.perf_counter(), time.process_time()
                statuses = await _drive(post, concurrency, each)
                elapsed, used = time.perf_counter() - started, time.process_time() - cpu
                total = each * concurrency
                if statuses != {202: total}:
                    raise RuntimeError(f"in-process: unexpected answers {statuses}")
                rows.append(
                    Row("in-process", concurrency, total, total / elapsed, used / total * 1e6)
                )
        finally:
            await gateway.close()
    return rows


Post = Callable[[dict[int, int]], Awaitable[None]]


def _asgi_post(app: Any, key: str, body: bytes) -> Post:
    headers = [
        (b"host", b"127.0.0.1"),
        (b"authorization", b"Bearer " + key.encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/messages",
        "raw_path": b"/api/v1/messages",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8080),
    }

    async def post(statuses: dict[int, int]) -> None:
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                statuses[status] = statuses.get(status, 0) + 1

        await app(dict(scope), receive, send)

    return post


async def _drive(post: Post, concurrency: int, each: int) -> dict[int, int]:
    """`concurrency` clients send `each` requests one after another; the answers' statuses."""
    statuses: dict[int, int] = {}

    async def client() -> None:
        for _ in range(each):
            await post(statuses)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return statuses


def table(rows: list[Row]) -> str:
    lines = [
        "| layer | concurrency | requests | requests/s | CPU µs per request |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.layer} | {row.concurrency} | {row.requests:,} | {row.per_second:,.0f} "
            f"| {row.cpu_us:,.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=40_000)
    parser.add_argument("--serve", choices=("raw", "uvicorn", "limits"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    args = parser.parse_args()
    if args.loop == "uvloop":
        uvloop.install()
    if args.serve:
        asyncio.run(serve(args.serve, args.port))
        return
    print(f"machine: {machine_speed():.0f}M empty-loop iterations/s, {args.loop}", flush=True)
    rows = [
        row
        for layer in ("raw", "uvicorn", "limits")
        for row in measure_server(layer, args.count, args.loop)
    ]
    rows += asyncio.run(measure_in_process(args.count))
    print(table(rows))


if __name__ == "__main__":
    main()
