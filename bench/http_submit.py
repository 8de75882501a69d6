"""End-to-end throughput of the native HTTP API through the simulated operator.

Starts a real `smsgate run` per backend (SQLite file, PostgreSQL database), sends
single-message requests at concurrency 10 and 50 and bulk requests of 1,000
recipients, and waits until every message is `delivered`. Prints a Markdown table.

    .venv/bin/python -m bench.http_submit [--count 20000] [--backend sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.loadgen import build_post, run_load
from bench.smpp_bench import machine_speed

PG_ADMIN = os.environ.get("SMSGATE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
DELIVERED = re.compile(r'^smsgate_messages_final_total\{status="delivered"\} ([0-9.e+]+)$', re.M)


@dataclass
class Row:
    backend: str
    workload: str
    messages: int
    accepted_per_s: float
    p50_ms: float
    p99_ms: float
    all_delivered_s: float
    end_to_end_per_s: float
    errors: int


class Gateway:
    """`smsgate run` on `data_dir`; from the checkout at `code` when given (to compare),
    with `settings` (SMSGATE_* variables) on top of the benchmark's own."""

    def __init__(
        self,
        data_dir: Path,
        database_url: str,
        code: str | None = None,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port: int = sock.getsockname()[1]
        self.env = {
            **os.environ,
            "SMSGATE_DATA_DIR": str(data_dir),
            "SMSGATE_HTTP_PORT": str(self.port),
            "SMSGATE_SMPP_PORT": "0",
            "SMSGATE_SIMULATOR_DELAY_MS": "50",
            "SMSGATE_DEMO": "false",
            "SMSGATE_LOG_LEVEL": "WARNING",
            **(settings or {}),
        }
        if database_url:
            self.env["SMSGATE_DATABASE_URL"] = database_url
        # `python -m` puts the working directory first on the path: run from the checkout.
        self.cwd = code
        if code:
            self.env["PYTHONPATH"] = code
        self.cli("migrate")
        self.cli("price", "set", "*", "0.01")
        created = json.loads(
            self.cli("account", "create", "bench", "--credit", "10000000", "--json")
        )
        self.key: str = created["api_key"]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "smsgate", "run"],
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if "(ready)" in line:
                break
        else:
            raise RuntimeError(f"the gateway did not start (exit code {self.proc.wait()})")

    def cli(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "smsgate", *args],
            env=self.env,
            cwd=self.cwd,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def delivered(self) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics") as response:
            found = DELIVERED.search(response.read().decode())
        return int(float(found.group(1))) if found else 0

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


async def measure(
    gw: Gateway, backend: str, workload: str, count: int, concurrency: int, bulk: int
) -> Row:
    before = gw.delivered()
    batch = secrets.token_hex(3)

    def request(i: int) -> bytes:
        # Every number ends in 5: clear of the simulator's test numbers (...0001-0003).
        to = [f"+39333{(i * bulk + j) % 10**6:06d}5" for j in range(bulk)]
        body = json.dumps({"to": to, "from": "bench", "text": f"bench {batch} {i}"}).encode()
        return build_post("127.0.0.1", "/api/v1/messages", gw.key, body)

    requests = max(1, count // bulk)
    started = time.perf_counter()
    result = await run_load("127.0.0.1", gw.port, request, total=requests, concurrency=concurrency)
    messages = result.statuses.get(202, 0) * bulk
    deadline = time.perf_counter() + 600
    while gw.delivered() - before < messages and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    done = time.perf_counter() - started
    return Row(
        backend,
        workload,
        messages,
        messages / result.elapsed,
        result.percentile(0.5) * 1000,
        result.percentile(0.99) * 1000,
        done,
        messages / done,
        result.sent - result.statuses.get(202, 0),
    )


def postgres_database() -> tuple[str, str]:
    name = f"bench_{secrets.token_hex(4)}"
    subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {name}"], check=True)
    return name, PG_ADMIN.rsplit("/", 1)[0] + "/" + name


async def bench_backend(backend: str, count: int) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        url, dbname = "", ""
        if backend == "postgres":
            dbname, url = postgres_database()
        gw = Gateway(Path(tmp), url)
        try:
            rows = [await measure(gw, backend, "warm-up", 1000, 10, 1)]
            rows.append(await measure(gw, backend, "single, c=10", count, 10, 1))
            rows.append(await measure(gw, backend, "single, c=50", count, 50, 1))
            rows.append(await measure(gw, backend, "bulk 1000, c=4", count * 2, 4, 1000))
            return rows[1:]
        finally:
            gw.stop()
            if dbname:
                subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE {dbname}"], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    speed = machine_speed()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    rows: list[Row] = []
    for backend in backends:
        rows += asyncio.run(bench_backend(backend, args.count))
    print(f"machine speed: {speed:.0f}M empty-loop iterations/s (best of 3, before the runs)\n")
    print(
        "| backend | workload | messages | accepted msg/s | p50 ms | p99 ms "
        "| all delivered after s | end-to-end msg/s | errors |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r.backend} | {r.workload} | {r.messages} | {r.accepted_per_s:,.0f} "
            f"| {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.all_delivered_s:.2f} "
            f"| {r.end_to_end_per_s:,.0f} | {r.errors} |"
        )


if __name__ == "__main__":
    main()
