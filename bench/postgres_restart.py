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
        [--version 15] [--nodes 2] [--clients 8] [--seconds 20]

(the server: SMSGATE_BENCH_POSTGRES, a superuser's URL; postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.http_submit import PG_ADMIN, postgres_database
from bench.mo import GatewayRun
from smsgate.core.messages import FINAL
from smsgate.core.money import parse_amount
from smsgate.smpp.smsc_simulator import SmscSimulator

CREDIT = "100000.00"
START_TIMEOUT = 120.0  # seconds for a node to say it is ready
FINAL_STATUSES = {status.value for status in FINAL}


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
    nodes = []
    for n in range(args.nodes):
        (data / f"node-{n}").mkdir()
        nodes.append(GatewayRun(data / f"node-{n}", url))
        nodes[-1].env["SMSGATE_NODE_ID"] = f"node-{n}"
    try:
        first = nodes[0]
        first.cli("migrate")
        first.cli("price", "set", "*", "0.01")
        created = first.cli("account", "create", "bench", "--credit", CREDIT, "--json")
        key = json.loads(created)["api_key"]
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
                send(
                    f"http://127.0.0.1:{nodes[c % args.nodes].http_port}",
                    key,
                    c * 10**6,
                    until,
                    tally,
                )
            )
            for c in range(args.clients)
        ]
        await asyncio.sleep(args.seconds / 3)
        started, ended = await restart(args.version)
        await asyncio.gather(*clients)
        back = [at for at, status in tally.answers if at > ended and status == 202]
        alive = sum(1 for node in nodes if node.proc is not None and node.proc.poll() is None)
        base = f"http://127.0.0.1:{first.http_port}"
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
    parser.add_argument("--version", default="15", help="the cluster's version (pg_lsclusters)")
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    name, url = postgres_database()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(run(args, url, Path(tmp)))
    finally:
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        subprocess.run(["psql", PG_ADMIN, "-qc", drop], check=False)
    print(f"{args.nodes} nodes, {args.clients} clients for {args.seconds:.0f} s, one restart\n")
    print("| measure | value |")
    print("|---|---:|")
    for measure, value in result.items():
        print(f"| {measure} | {value} |")


if __name__ == "__main__":
    main()
