"""Several nodes on one PostgreSQL: single-message native API sends over 1, 2 and 3 `smsgate
run` nodes sharing one simulated operator's binds; each run on a private database, node
counts alternating between rounds, CPU from /proc (nodes and the database's backends),
wait events sampled from pg_stat_activity every 50 ms.
Run: .venv/bin/python -m bench.nodes [--messages 4000] [--concurrency 30] [--rounds 2]"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from bench.compare.runner import CLOCK_TICKS, cpu_ticks, destination
from bench.compare.smsgate_gateway import descendants, free_port
from bench.loadgen import LoadResult, build_post, run_load
from bench.smpp_bench import machine_speed

BINDS = 3
WINDOW = 100
IDLE = 5.0  # seconds the nodes' CPU is read without load
FINAL = ("delivered", "undelivered", "expired", "rejected", "failed", "cancelled")


@dataclass
class Node:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path


@dataclass
class Measured:
    nodes: int
    accepted: int
    accept_seconds: float
    final_seconds: float
    p99_ms: float
    gateway_cpu: float  # seconds
    postgres_cpu: float
    idle_gateway: float = 0.0  # CPU seconds a second, before the load
    idle_postgres: float = 0.0
    connections: int = 0  # the most the database had at once, all nodes
    waits: Counter[str] = field(default_factory=Counter)
    samples: int = 0


def smsgate(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "smsgate", *args], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"smsgate {' '.join(args[:2])}: {done.stderr.strip()[-500:]}")
    return done.stdout


@contextlib.contextmanager
def private_database(admin_url: str) -> Iterator[str]:
    name = f"smsgate_nodes_{secrets.token_hex(4)}"

    async def run(statement: str) -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def operator(port: int) -> Iterator[None]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsgate", "simulator", "--port", str(port), "--delay-ms", "50",
         "--account", "gw:pw", "--id-format", "dec", "--outcomes", "DELIVRD=1.0", "--no-rules"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and b"listening" in proc.stdout.readline()
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def provision(env: dict[str, str], operator_port: int) -> str:
    """Schema, a price, an account with credit and its API key, the connector, a route."""
    smsgate("migrate", env=env)
    smsgate("price", "set", "*", "0.01", env=env)
    created = smsgate("account", "create", "bench", "--credit", "100000000", "--json", env=env)
    smsgate(
        "connector", "add", "op", "--host", "127.0.0.1", "--port", str(operator_port),
        "--system-id", "gw", "--password", "pw", "--binds", str(BINDS),
        "--window", str(WINDOW), "--id-format", "dec", env=env,
    )  # fmt: skip
    smsgate("route", "add", "--prefix", "*", "--connector", "op", env=env)
    return str(json.loads(created)["api_key"])


def start_node(work: Path, index: int, env: dict[str, str]) -> Node:
    data = work / f"node{index}"
    data.mkdir()
    port = free_port()
    node_env = {
        **env,
        "SMSGATE_DATA_DIR": str(data),
        "SMSGATE_HTTP_PORT": str(port),
        "SMSGATE_SMPP_PORT": str(free_port()),
        "SMSGATE_NODE_ID": f"node{index}",
    }
    log = data / "gateway.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "smsgate", "run"], env=node_env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    return Node(proc, port, log)


async def wait_ready(nodes: list[Node], conn: asyncpg.Connection, limit: float = 90) -> None:
    """Every node ready and the binds bound, shared by all the nodes."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready = all(b"(ready)" in n.log.read_bytes() for n in nodes)
        holders = await conn.fetchval(
            "SELECT count(DISTINCT node_id) FROM connector_slots WHERE bound"
        )
        bound = await conn.fetchval("SELECT count(*) FROM connector_slots WHERE bound")
        if ready and bound == BINDS and holders == min(len(nodes), BINDS):
            return
        for node in nodes:
            if node.proc.poll() is not None:
                raise RuntimeError(node.log.read_text()[-2000:])
        await asyncio.sleep(0.2)
    raise RuntimeError(f"binds not shared: {bound} bound by {holders} nodes")


def node_cpu(nodes: list[Node]) -> dict[int, int]:
    pids = [p for n in nodes for p in (n.proc.pid, *descendants(n.proc.pid))]
    return {pid: ticks for pid in pids if (ticks := cpu_ticks(pid)) is not None}


async def backend_cpu(conn: asyncpg.Connection, database: str) -> dict[int, int]:
    pids = await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        database,
    )
    return {r["pid"]: t for r in pids if (t := cpu_ticks(r["pid"])) is not None}


def spent(before: dict[int, int], after: dict[int, int]) -> float:
    """CPU seconds between two readings; a process born between them counts whole."""
    return sum(t - before.get(pid, 0) for pid, t in after.items()) / CLOCK_TICKS


async def sample_waits(conn: asyncpg.Connection, database: str, into: Measured) -> None:
    while True:
        rows = await conn.fetch(
            """SELECT state, coalesce(wait_event_type || ':' || wait_event, 'CPU') AS w
               FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()""",
            database,
        )
        into.samples += 1
        into.connections = max(into.connections, len(rows))
        into.waits.update(str(r["w"]) for r in rows if r["state"] == "active")
        await asyncio.sleep(0.05)


async def load(nodes: list[Node], key: str, args: argparse.Namespace, url: str) -> Measured:
    database = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(url)
    watcher = await asyncpg.connect(url)
    try:
        await wait_ready(nodes, conn)
        await send(nodes, key, 200, len(nodes) * 2, 0)  # warm-up, then wait until final
        await finals(conn, 200, 60)
        warm = await conn.fetchval("SELECT count(*) FROM messages")
        measured = Measured(len(nodes), 0, 0.0, 0.0, 0.0, 0.0, 0.0)
        gateway_before, pg_before = node_cpu(nodes), await backend_cpu(conn, database)
        await asyncio.sleep(IDLE)
        gateway_idle, pg_idle = node_cpu(nodes), await backend_cpu(conn, database)
        measured.idle_gateway = spent(gateway_before, gateway_idle) / IDLE
        measured.idle_postgres = spent(pg_before, pg_idle) / IDLE
        gateway_before, pg_before = gateway_idle, pg_idle
        sampler = asyncio.create_task(sample_waits(watcher, database, measured))
        started = time.perf_counter()
        results = await send(nodes, key, args.messages, args.concurrency, 1000)
        measured.accept_seconds = time.perf_counter() - started
        measured.accepted = sum(r.statuses.get(202, 0) for r in results)
        await finals(conn, warm + measured.accepted, 600)
        measured.final_seconds = time.perf_counter() - started
        sampler.cancel()
        gateway_after, pg_after = node_cpu(nodes), await backend_cpu(conn, database)
        measured.gateway_cpu = spent(gateway_before, gateway_after)
        measured.postgres_cpu = spent(pg_before, pg_after)
        latencies = sorted(x for r in results for x in r.latencies)
        measured.p99_ms = latencies[int(len(latencies) * 0.99)] * 1000
        return measured
    finally:
        await watcher.close()
        await conn.close()


async def send(
    nodes: list[Node], key: str, total: int, concurrency: int, first: int
) -> list[LoadResult]:
    """`total` single-message sends, the requests and connections shared by the nodes."""

    def requests(offset: int) -> Callable[[int], bytes]:
        def request(i: int) -> bytes:
            k = first + offset + i
            body = {"to": destination(k), "from": "bench", "text": f"nodes {k:06d}"}
            return build_post("127.0.0.1", "/api/v1/messages", key, json.dumps(body).encode())

        return request

    share = [total // len(nodes) + (i < total % len(nodes)) for i in range(len(nodes))]
    offsets = [sum(share[:i]) for i in range(len(nodes))]
    return await asyncio.gather(
        *(
            run_load("127.0.0.1", n.port, requests(o), total=s,
                     concurrency=max(1, concurrency // len(nodes)), time_limit=600)
            for n, s, o in zip(nodes, share, offsets, strict=True)
        )
    )  # fmt: skip


async def finals(conn: asyncpg.Connection, count: int, limit: float) -> None:
    deadline = time.monotonic() + limit
    while (
        await conn.fetchval("SELECT count(*) FROM messages WHERE status = ANY($1)", list(FINAL))
        < count
    ):
        if time.monotonic() > deadline:
            raise RuntimeError("messages did not all become final")
        await asyncio.sleep(0.25)


def one_run(count: int, args: argparse.Namespace) -> Measured:
    with tempfile.TemporaryDirectory() as tmp, private_database(args.postgres) as url:
        work = Path(tmp)
        port = free_port()
        env = {**os.environ, "SMSGATE_DATABASE_URL": url, "SMSGATE_DEMO": "false",
               "SMSGATE_DATA_DIR": str(work), "SMSGATE_LOG_LEVEL": "WARNING"}  # fmt: skip
        with operator(port):
            key = provision(env, port)
            nodes = [start_node(work, i + 1, env) for i in range(count)]
            try:
                return asyncio.run(load(nodes, key, args, url))
            finally:
                for node in nodes:
                    node.proc.terminate()
                for node in nodes:
                    try:
                        node.proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        node.proc.kill()
                        node.proc.wait()


def row(m: Measured) -> str:
    waits = ", ".join(f"{w} {n / m.samples:.2f}" for w, n in m.waits.most_common(4))
    per = 1e6 / m.accepted
    return (
        f"| {m.nodes} | {m.accepted / m.accept_seconds:,.0f} | {m.accepted / m.final_seconds:,.0f} "
        f"| {m.gateway_cpu * per:,.0f} | {m.postgres_cpu * per:,.0f} "
        f"| {m.idle_gateway * 1000:,.0f} + {m.idle_postgres * 1000:,.0f} | {m.p99_ms:,.1f} "
        f"| {m.connections} "
        f"| {waits} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4_000)
    parser.add_argument("--concurrency", type=int, default=30, help="connections in all")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    # Stopped by a signal, the nodes, the operator and the database still go.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    print(f"{args.messages:,} sends over {args.concurrency} connections, {BINDS} binds; "
          f"load average {os.getloadavg()}; machine speed {machine_speed():.0f}M")  # fmt: skip
    print(
        "| nodes | accepted msg/s | end to end msg/s | gateway CPU µs/msg "
        "| PostgreSQL CPU µs/msg | idle CPU ms/s (gateway + PostgreSQL) | p99 accept ms "
        "| connections | active backends by wait (mean) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for round_ in range(args.rounds):
        order = args.nodes if round_ % 2 == 0 else args.nodes[::-1]
        for count in order:
            print(row(one_run(count, args)), flush=True)
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
