"""MO from an upstream SMSC to customers: what smsgate acknowledges and delivers per second.

A fake upstream SMSC on loopback (`bench.mo_peers`), which a real `smsgate run` binds to
with an SMPP connector, delivers `--count` deliver_sm MO from `--sources` numbers to the
shared short code 3000 as fast as smsgate acknowledges them (at most `--window`
unanswered per bind). Each MO starts with one of four keywords, each an account's; every
account has, in its inbound settings (written to the store before the gateway starts), a
webhook (an HTTP receiver on loopback counting MO ids) and SMPP delivery (a receiver
bind per account, counting). It stops once the upstream is acknowledged and no path has
gained an MO for `--settle` seconds, or after `--timeout`, and prints a Markdown table:
MO/s acknowledged upstream and delivered per path, lost, duplicated, and the gateway's
CPU seconds per MO (all its processes).

    .venv/bin/python -m bench.mo [--count 20000] [--window 100] [--backend sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.compare.runner import CLOCK_TICKS, cpu_ticks
from bench.compare.smsgate_gateway import descendants, free_port
from bench.http_submit import PG_ADMIN, postgres_database
from bench.mo_peers import (
    Arrivals,
    Mo,
    Upstream,
    UpstreamSession,
    WebhookReceiver,
    mo_text,
    receive_mo,
)
from bench.smpp_bench import machine_speed
from smsgate.services.clock import SystemClock
from smsgate.services.inbound_plan import InboundSettings, InboundSettingsService
from smsgate.store import open_store

SHORT_CODE = "3000"
KEYWORDS = ("PIZZA", "INFO", "SHOP", "BANK")
PASSWORD = "benchpw1"
WEBHOOK, SMPP = "webhook", "smpp"
NAMES = {WEBHOOK: "webhook", SMPP: "SMPP bind"}
START_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class PathResult:
    """What one delivery path (webhook, SMPP) was handed."""

    name: str
    delivered: int
    duplicates: int
    seconds: float  # from the first MO sent upstream to the latest new one here

    @property
    def per_second(self) -> float:
        return self.delivered / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Result:
    sent: int
    acked: int
    refused: int
    ack_seconds: float  # from the first MO sent to the last acknowledged
    paths: tuple[PathResult, ...]
    cpu_seconds: float  # every gateway process, over the run
    timed_out: bool


def path_result(name: str, arrivals: Arrivals, started: float) -> PathResult:
    seconds = arrivals.last - started if arrivals.seen else 0.0
    return PathResult(name, len(arrivals.seen), arrivals.duplicates, seconds)


def table(result: Result) -> str:
    """The Markdown table of a run."""
    ack_rate = result.acked / result.ack_seconds if result.ack_seconds > 0 else 0.0
    lines = [
        "| path | MO | MO/s | lost | duplicated |",
        "|---|---:|---:|---:|---:|",
        f"| upstream deliver_sm acknowledged | {result.acked:,}/{result.sent:,} "
        f"| {ack_rate:,.0f} | {result.sent - result.acked:,} | - |",
    ]
    for path in result.paths:
        lines.append(
            f"| delivered by {path.name} | {path.delivered:,}/{result.sent:,} "
            f"| {path.per_second:,.0f} | {result.sent - path.delivered:,} "
            f"| {path.duplicates:,} |"
        )
    per_mo = result.cpu_seconds / result.acked * 1e6 if result.acked else 0.0
    lines.append("")
    lines.append(
        f"gateway CPU: {result.cpu_seconds:.2f} s over the run, {per_mo:,.0f} µs per MO "
        f"acknowledged; refused and sent again: {result.refused:,}"
        + ("; stopped by --timeout" if result.timed_out else "")
    )
    return "\n".join(lines)


def mos(count: int, sources: int) -> list[Mo]:
    """MO 0..count-1, spread over `sources` numbers and the keywords in turn."""
    return [
        Mo(i, f"39333{i % sources:07d}", SHORT_CODE, mo_text(KEYWORDS[i % len(KEYWORDS)], i))
        for i in range(count)
    ]


class GatewayRun:
    """`smsgate run` on a data directory (or PostgreSQL database), provisioned first."""

    def __init__(self, data_dir: Path, database_url: str) -> None:
        self.smpp_port, self.http_port = free_port(), free_port()
        self.env = {
            **os.environ,
            "SMSGATE_DATA_DIR": str(data_dir),
            "SMSGATE_HTTP_PORT": str(self.http_port),
            "SMSGATE_SMPP_PORT": str(self.smpp_port),
            "SMSGATE_DEMO": "false",
            "SMSGATE_LOG_LEVEL": "WARNING",
        }
        if database_url:
            self.env["SMSGATE_DATABASE_URL"] = database_url
        self.url = database_url or f"sqlite:///{data_dir / 'smsgate.db'}"
        self.proc: subprocess.Popen[str] | None = None

    def cli(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "smsgate", *args],
            env=self.env, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip

    async def provision(
        self, upstream_port: int, webhook_port: int, binds: int, window: int, paths: tuple[str, ...]
    ) -> None:
        """Accounts with a keyword each on the short code, their inbound settings (MO to
        each of `paths`), and a connector to the upstream (`window`: the PDUs each bind
        has unanswered, either way)."""
        self.cli("migrate")
        self.cli("number", "add", SHORT_CODE)
        ids = {}
        for keyword in KEYWORDS:
            name = keyword.lower()
            created = json.loads(
                self.cli("account", "create", name, "--password", PASSWORD, "--json")
            )
            ids[name] = int(created["id"])
            self.cli("keyword", "add", SHORT_CODE, keyword, name)
        store = await open_store(self.url)
        try:
            settings = InboundSettingsService(store, SystemClock())
            for name, account_id in ids.items():
                url = f"http://127.0.0.1:{webhook_port}/mo/{name}"
                await settings.set(
                    InboundSettings(
                        account_id,
                        webhook_url=url if WEBHOOK in paths else None,
                        smpp=SMPP in paths,
                    )
                )
        finally:
            await store.close()
        self.cli(
            "connector", "add", "upstream", "--host", "127.0.0.1", "--port", str(upstream_port),
            "--system-id", "gw", "--password", "pw", "--binds", str(binds), "--window", str(window),
        )  # fmt: skip

    def start(self) -> None:
        command = [sys.executable, "-m", "smsgate", "run"]
        self.proc = subprocess.Popen(command, env=self.env, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        if not any("(ready)" in line for line in self.proc.stdout):
            raise RuntimeError(f"the gateway did not start (exit code {self.proc.wait()})")

    def cpu_ticks(self) -> int:
        """utime + stime of every process of the gateway so far."""
        assert self.proc is not None
        pids = [self.proc.pid, *descendants(self.proc.pid)]
        return sum(cpu_ticks(pid) or 0 for pid in pids)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@contextlib.contextmanager
def database(backend: str) -> Iterator[str]:
    """ "" (the SQLite file in the data directory) or a PostgreSQL database of its own."""
    if backend == "sqlite":
        yield ""
        return
    name, url = postgres_database()
    try:
        yield url
    finally:
        subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE {name}"], check=False)


async def wait_done(
    upstream: Upstream, paths: list[Arrivals], settle: float, timeout: float
) -> bool:
    """Until the upstream is acknowledged and every path has all, or none gained an MO
    for `settle` seconds; True when `timeout` came first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        if not upstream.done.is_set():
            continue
        if all(len(p.seen) >= upstream.sent for p in paths):
            return False
        latest = max([upstream.last_acked, *(p.last for p in paths)])
        if time.monotonic() - latest >= settle:
            return False
    return True


async def run(args: argparse.Namespace) -> Result:
    loop = asyncio.get_running_loop()
    upstream = Upstream(mos(args.count, args.sources), args.window, started=False)
    webhook, smpp = Arrivals(), Arrivals()
    upstream_server = await loop.create_server(lambda: UpstreamSession(upstream), "127.0.0.1", 0)
    webhook_server = await loop.create_server(lambda: WebhookReceiver(webhook), "127.0.0.1", 0)
    stop = asyncio.Event()
    with tempfile.TemporaryDirectory() as tmp, database(args.backend) as url:
        gateway = GatewayRun(Path(tmp), url)
        try:
            await gateway.provision(
                upstream_server.sockets[0].getsockname()[1],
                webhook_server.sockets[0].getsockname()[1],
                args.binds,
                args.window,
                args.paths,
            )
            gateway.start()
            receivers = [
                asyncio.create_task(receive_mo(gateway.smpp_port, k.lower(), PASSWORD, smpp, stop))
                for k in KEYWORDS
            ]
            async with asyncio.timeout(START_TIMEOUT):
                while upstream.binds < args.binds:
                    await asyncio.sleep(0.05)
            await asyncio.sleep(1.0)  # the receivers are bound
            ticks = gateway.cpu_ticks()
            upstream.start()
            arrivals = {WEBHOOK: webhook, SMPP: smpp}
            counted = [arrivals[path] for path in args.paths]
            timed_out = await wait_done(upstream, counted, args.settle, args.timeout)
            cpu = (gateway.cpu_ticks() - ticks) / CLOCK_TICKS
            stop.set()
            await asyncio.gather(*receivers, return_exceptions=True)
        finally:
            gateway.stop()
            upstream_server.close()
            webhook_server.close()
    started = upstream.first_sent
    return Result(
        upstream.sent,
        upstream.acked,
        upstream.refused,
        upstream.last_acked - started if upstream.acked else 0.0,
        tuple(path_result(NAMES[path], arrivals[path], started) for path in args.paths),
        cpu,
        timed_out,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="MO the upstream delivers")
    parser.add_argument("--sources", type=int, default=50, help="numbers they come from")
    parser.add_argument("--window", type=int, default=100, help="unanswered deliver_sm per bind")
    parser.add_argument("--binds", type=int, default=1, help="binds of the gateway's connector")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds with no new MO")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument(
        "--paths", default="webhook,smpp", help="how the accounts take MO: webhook, smpp or both"
    )
    args = parser.parse_args()
    args.paths = tuple(path for path in args.paths.split(",") if path)
    if not set(args.paths) <= {WEBHOOK, SMPP}:
        parser.error("--paths takes webhook, smpp or both")
    speed = machine_speed()
    result = asyncio.run(run(args))
    print(f"machine speed: {speed:.0f}M empty-loop iterations/s (best of 3, before the run)")
    print(
        f"{args.count:,} MO from {args.sources} numbers to {SHORT_CODE}, {len(KEYWORDS)} "
        f"accounts by keyword, window {args.window} x {args.binds} bind(s), {args.backend}\n"
    )
    print(table(result))


if __name__ == "__main__":
    main()
