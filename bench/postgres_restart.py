"""What sending clients see, and what is lost or sent twice, when PostgreSQL restarts under load.

Needs root on a machine of its own: it runs `pg_ctlcluster VERSION main restart`, which
cuts every client of that server. Creates a database of its own, starts `--nodes` real
`smsgate run` processes on it with an SMSC simulator on loopback, sends from `--clients`
HTTP clients for `--seconds`, restarts the server once in the middle, waits until every
stored message is final, and prints a table: accepted (202), refused (5xx), unanswered,
stored, final, lost (a 202 not stored), stored although refused, sent upstream twice,
money (balance = credit - costs = sum of the ledger) and seconds from the restart to
the first 202 after it. The database is dropped at the end.

    sudo .venv/bin/python -m bench.postgres_restart --yes-restart-postgresql \\
        [--url postgresql://postgres@127.0.0.1:5432/postgres] [--version 15] \\
        [--nodes 2] [--clients 8] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from smsgate.core.messages import FINAL
from smsgate.core.money import parse_amount
from smsgate.smpp.smsc_simulator import SmscSimulator

CREDIT = "100000.00"
START_TIMEOUT = 120.0  # seconds for a node to say it is ready
FINAL_STATUSES = {status.value for status in FINAL}


async def autocommit(url: str, statement: str) -> None:
    driver = url.replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(driver, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Node:
    """One `smsgate run` on `url` with a data directory of its own."""

    def __init__(self, data_dir: Path, url: str, node_id: str) -> None:
        data_dir.mkdir()
        self.port = free_port()
        self.env = {
            **os.environ,
            "SMSGATE_DATA_DIR": str(data_dir),
            "SMSGATE_DATABASE_URL": url,
            "SMSGATE_NODE_ID": node_id,
            "SMSGATE_HTTP_PORT": str(self.port),
            "SMSGATE_SMPP_PORT": "0",
            "SMSGATE_DEMO": "false",
            "SMSGATE_LOG_LEVEL": "WARNING",
        }
        self.log = data_dir / "gateway.log"
        self.proc: subprocess.Popen[str] | None = None

    def cli(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "smsgate", *args],
            env=self.env, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "smsgate", "run"],
                env=self.env, stdout=subprocess.PIPE, stderr=log, text=True,
            )  # fmt: skip
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if "(ready)" in line:
                return
        raise RuntimeError(f"a node did not start; see {self.log}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@dataclass
class Tally:
    accepted: dict[str, str] = field(default_factory=dict)  # destination -> message id
    refused: Counter[int] = field(default_factory=Counter)
    unanswered: int = 0
    answers: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, status)


async def send(base: str, key: str, first: int, until: float, tally: Tally) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        i = first
        while time.monotonic() < until:
            to = f"+39333{i:07d}"
            i += 1
            try:
                response = await client.post(
                    "/api/v1/messages", json={"to": to, "from": "bench", "text": "restart"}
                )
            except httpx.HTTPError:
                tally.unanswered += 1
                continue
            tally.answers.append((time.monotonic(), response.status_code))
            if response.status_code == 202:
                tally.accepted[to] = response.json()["messages"][0]["id"]
            else:
                tally.refused[response.status_code] += 1
                await asyncio.sleep(0.05)


async def pages(client: httpx.AsyncClient, path: str, key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        body = (await client.get(path, params=params)).json()
        items += body[key]
        cursor = body["next_cursor"]
        if not cursor:
            return items


async def restart(version: str) -> tuple[float, float]:
    """Restart the cluster; (monotonic start, monotonic end)."""
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        "pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"
    )
    if await proc.wait() != 0:
        raise RuntimeError("pg_ctlcluster restart failed")
    return started, time.monotonic()


async def run(args: argparse.Namespace, url: str, data: Path) -> dict[str, object]:
    smsc = SmscSimulator("127.0.0.1", 0, credentials={"gw": "pw"})
    await smsc.start()
    nodes = [Node(data / f"node-{n}", url, f"node-{n}") for n in range(args.nodes)]
    try:
        first = nodes[0]
        first.cli("migrate")
        first.cli("price", "set", "*", "0.01")
        key = json.loads(first.cli("account", "create", "bench", "--credit", CREDIT, "--json"))[
            "api_key"
        ]
        first.cli(
            "connector", "add", "sim", "--host", "127.0.0.1", "--port", str(smsc.port),
            "--system-id", "gw", "--password", "pw", "--binds", str(args.nodes),
        )  # fmt: skip
        first.cli("route", "add", "--prefix", "*", "--connector", "sim")
        for node in nodes:  # its connector binds to the simulator on this loop meanwhile
            await asyncio.wait_for(asyncio.to_thread(node.start), START_TIMEOUT)
        tally = Tally()
        until = time.monotonic() + args.seconds
        clients = [
            asyncio.create_task(
                send(f"http://127.0.0.1:{nodes[c % args.nodes].port}", key, c * 10**6, until, tally)
            )
            for c in range(args.clients)
        ]
        await asyncio.sleep(args.seconds / 3)
        started, ended = await restart(args.version)
        await asyncio.gather(*clients)
        back = [at for at, status in tally.answers if at > ended and status == 202]
        alive = sum(1 for node in nodes if node.proc is not None and node.proc.poll() is None)
        base = f"http://127.0.0.1:{first.port}"
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as client:
            deadline = time.monotonic() + 600
            while True:
                stored = await pages(client, "/api/v1/messages", "messages")
                final = [m for m in stored if m["status"] in FINAL_STATUSES]
                if len(final) == len(stored) or time.monotonic() > deadline:
                    break
                await asyncio.sleep(1)
            entries = await pages(client, "/api/v1/ledger", "entries")
            balance = parse_amount((await client.get("/api/v1/balance")).json()["balance"])
        costs = sum(parse_amount(str(m["cost"])) for m in stored)
        ledger = sum(parse_amount(str(e["amount"])) for e in entries)
        stored_to = {str(m["to"]) for m in stored}
        sent = Counter(m.destination[2] for m in smsc.messages.values())
        return {
            "nodes alive": f"{alive}/{args.nodes}",
            "accepted (202)": len(tally.accepted),
            "refused (5xx)": dict(tally.refused),
            "unanswered": tally.unanswered,
            "stored": len(stored),
            "final": len(final),
            "lost (202, not stored)": len(set(tally.accepted) - stored_to),
            "stored although refused": len(stored_to - set(tally.accepted)),
            "sent upstream more than once": sum(1 for n in sent.values() if n > 1),
            "money exact": balance == parse_amount(CREDIT) - costs and ledger == balance,
            "restart took, s": round(ended - started, 2),
            "restart to first 202 after it, s": round(back[0] - started, 2) if back else None,
        }
    finally:
        for node in nodes:
            node.stop()
        await smsc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    agree = "agree that every client of the server loses its connections"
    parser.add_argument("--yes-restart-postgresql", action="store_true", required=True, help=agree)
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    parser.add_argument("--url", default=admin, help="a superuser's URL on the server")
    parser.add_argument("--version", default="15", help="the cluster's version (pg_lsclusters)")
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    name = f"smsgate_restart_{secrets.token_hex(4)}"
    asyncio.run(autocommit(args.url, f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"{args.url.rsplit('/', 1)[0]}/{name}"
            result = asyncio.run(run(args, url, Path(tmp)))
    finally:
        asyncio.run(autocommit(args.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"{args.nodes} nodes, {args.clients} clients for {args.seconds:.0f} s, one restart\n")
    print("| measure | value |")
    print("|---|---:|")
    for measure, value in result.items():
        print(f"| {measure} | {value} |")


if __name__ == "__main__":
    main()
