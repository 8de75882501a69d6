"""What the HTTP server in front of the API costs: CPU per request of each candidate
answering the native single-send request (the bytes `bench.compare` sends) with a fixed
JSON 202 and no application work, at c=10 and c=50, servers alternating, from /proc.

    .venv/bin/python -m bench.front_door [--count 20000] [--reps 3] [--servers a,b]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import statistics
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvloop

from bench.ceiling import ANSWER, FixedAnswer, wait_for_port
from bench.compare.runner import CLOCK_TICKS, cpu_ticks, destination
from bench.compare.smsgate_gateway import descendants, free_port
from bench.loadgen import build_post, run_load
from bench.smpp_bench import machine_speed

PATH = "/api/v1/messages"
KEY = "sk_" + "x" * 40  # as long as an API key
WARMUP = 2000
CONCURRENCY = (10, 50)
SERVERS = {
    "starlette": "uvicorn + smsgate's ASGI entry (FixedPaths, Starlette Request/Response, "
    "metrics), smsgate's uvicorn settings and guarded protocol",
    "lean": "smsgate's lean server (`SMSGATE_HTTP_SERVER=lean`) + the same ASGI entry as "
    "`starlette`, smsgate's limits",
    "lean-asgi": "smsgate's lean server + the bare ASGI callable",
    "asgi": "uvicorn (stock httptools protocol) + a bare ASGI callable",
    "raw": "an asyncio Protocol + httptools, no framework",
    "granian-asgi": "granian 1 worker, ASGI interface, uvloop, the bare ASGI callable",
    "granian-rsgi": "granian 1 worker, its RSGI interface, uvloop",
}
GRANIAN = {"granian-asgi": ("asginl", "asgi_answer"), "granian-rsgi": ("rsgi", "rsgi_answer")}

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(slots=True)
class Cell:
    cpu_us: list[float] = field(default_factory=list)
    per_second: list[float] = field(default_factory=list)


def request(i: int) -> bytes:
    body = {"to": destination(i), "from": "bench", "text": f"frontdoor {i:06d}"}
    return build_post("127.0.0.1", PATH, KEY, json.dumps(body).encode())


async def asgi_answer(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Reads the body, answers the fixed 202."""
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 202, "headers": headers})
    await send({"type": "http.response.body", "body": ANSWER})


async def rsgi_answer(scope: Any, protocol: Any) -> None:
    await protocol()
    protocol.response_bytes(202, [("content-type", "application/json")], ANSWER)


def smsgate_entry() -> Any:
    """smsgate's ASGI entry with one fixed-path endpoint that reads the body (with the
    limit) and answers the fixed 202."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from smsgate.api.body import read_body
    from smsgate.api.errors import error_reply, guarded
    from smsgate.api.http import FixedPaths
    from smsgate.api.metrics import Metrics
    from smsgate.services.counters import Counters

    async def send_message(request: Request) -> Response:
        await read_body(request, 1_048_576)
        return Response(ANSWER, 202, media_type="application/json")

    async def nothing() -> Any:
        return {}

    endpoint = guarded(send_message)
    app = Starlette(
        routes=[Route(PATH, endpoint, methods=["POST"])],
        exception_handlers={Exception: error_reply},
    )
    return FixedPaths({("POST", PATH): endpoint}, app, Metrics(Counters(), nothing, nothing))


async def serve(server: str, port: int) -> None:
    if server == "raw":
        loop = asyncio.get_running_loop()
        listening = await loop.create_server(FixedAnswer, "127.0.0.1", port, backlog=1024)
        await listening.serve_forever()
        return
    import uvicorn

    from smsgate.api.front.server import LeanServer
    from smsgate.config import Settings
    from smsgate.serving import connection_limits, http_config

    settings = Settings(http_port=port)
    if server in ("lean", "lean-asgi"):
        app: Any = smsgate_entry() if server == "lean" else asgi_answer
        lean = LeanServer(
            app, connection_limits(settings), host="127.0.0.1", port=port,
            keepalive=settings.http_keepalive_timeout,
        )  # fmt: skip
        await lean.serve()
        return
    if server == "starlette":
        config = http_config(settings, smsgate_entry())
    else:
        config = uvicorn.Config(
            asgi_answer, host="127.0.0.1", port=port, http="httptools", ws="none",
            log_level="warning", access_log=False, lifespan="off",
        )  # fmt: skip
    await uvicorn.Server(config).serve()


def start(server: str, port: int) -> subprocess.Popen[bytes]:
    if server in GRANIAN:
        interface, target = GRANIAN[server]
        command = [
            sys.executable, "-m", "granian", "--interface", interface, "--host", "127.0.0.1",
            "--port", str(port), "--workers", "1", "--loop", "uvloop", "--no-ws",
            "--http", "1", "--log-level", "warning", f"bench.front_door:{target}",
        ]  # fmt: skip
    else:
        command = [sys.executable, "-m", "bench.front_door", "--serve", server]
        command += ["--port", str(port)]
    proc = subprocess.Popen(command)
    wait_for_port(port, proc)
    return proc


def tree_ticks(pid: int) -> int:
    return sum(cpu_ticks(p) or 0 for p in (pid, *descendants(pid)))


async def measure(port: int, pid: int, concurrency: int, count: int) -> tuple[float, float]:
    """(CPU µs of the server's processes per request, requests per second)."""
    await run_load("127.0.0.1", port, request, total=500, concurrency=concurrency)
    before = tree_ticks(pid)
    result = await run_load("127.0.0.1", port, request, total=count, concurrency=concurrency)
    used = (tree_ticks(pid) - before) / CLOCK_TICKS
    if result.statuses != {202: count}:
        raise RuntimeError(f"unexpected answers {result.statuses}")
    return used / count * 1e6, count / result.elapsed


def run(servers: list[str], count: int, reps: int) -> dict[tuple[str, int], Cell]:
    procs: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    cells = {(s, c): Cell() for s in servers for c in CONCURRENCY}
    try:
        for server in servers:
            port = free_port()
            procs[server] = start(server, port), port
            asyncio.run(run_load("127.0.0.1", port, request, total=WARMUP, concurrency=10))
        for rep in range(reps):
            for concurrency in CONCURRENCY:
                for server in servers:
                    proc, port = procs[server]
                    cpu, rate = asyncio.run(measure(port, proc.pid, concurrency, count))
                    cells[server, concurrency].cpu_us.append(cpu)
                    cells[server, concurrency].per_second.append(rate)
                    print(f"rep {rep + 1} c={concurrency} {server}: {cpu:.1f} µs, "
                          f"{rate:,.0f}/s", file=sys.stderr, flush=True)  # fmt: skip
    finally:
        for proc, _ in procs.values():
            proc.terminate()
            proc.wait(timeout=10)
    return cells


def spread(values: list[float], digits: int = 0) -> str:
    middle = statistics.median(values)
    return f"{middle:,.{digits}f} [{min(values):,.{digits}f}-{max(values):,.{digits}f}]"


def table(cells: dict[tuple[str, int], Cell]) -> str:
    lines = [
        "| server | c | CPU µs per request, median [min-max] | each run | requests/s, median "
        "[min-max] |",
        "|---|---:|---:|---|---:|",
    ]
    for (server, concurrency), cell in cells.items():
        runs = ", ".join(f"{v:.1f}" for v in cell.cpu_us)
        lines.append(
            f"| {server} | {concurrency} | {spread(cell.cpu_us, 1)} | {runs} "
            f"| {spread(cell.per_second)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--serve", choices=tuple(SERVERS), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    uvloop.install()
    if args.serve:
        asyncio.run(serve(args.serve, args.port))
        return
    servers = args.servers.split(",")
    if importlib.util.find_spec("granian") is None:
        servers = [s for s in servers if s not in GRANIAN]
    print(f"machine: {machine_speed():.0f}M empty-loop iterations/s", flush=True)
    cells = run(servers, args.count, args.reps)
    print("\n".join(f"- `{s}`: {SERVERS[s]}" for s in servers) + "\n")
    print(table(cells))


if __name__ == "__main__":
    main()
