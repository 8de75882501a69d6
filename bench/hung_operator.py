"""How long a healthy operator's messages wait while another operator is hung or slow.

Starts two SMSC simulators on loopback (one that never answers submit_sm, or answers
after 8 s; one healthy), a real `smsgate run` (SQLite) with a connector and a route to
each, submits messages to the slow operator first and then to the healthy one, and
prints p50/p99/max of acceptance -> sent (the rows' created_at and sent_at) of the
healthy operator's messages. The connectors keep their default response_timeout (30 s)
and retries (3). `--code DIR` runs the gateway from another checkout (to compare).

    .venv/bin/python -m bench.hung_operator [--healthy 40] [--slow 10] [--code DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.http_submit import Gateway
from bench.smpp_bench import machine_speed
from smsgate.smpp.smsc_simulator import SmscSimulator

GIVE_UP = 600.0  # seconds: a case that takes longer than this is reported as such


@dataclass
class Case:
    name: str
    submit_delay: float | None
    p50: float = 0.0
    p99: float = 0.0
    worst: float = 0.0
    sent: int = 0


def add_operator(gateway: Gateway, name: str, port: int, prefix: str) -> None:
    gateway.cli("route", "add", "--prefix", prefix, "--connector", name)
    gateway.cli(
        "connector", "add", name, "--host", "127.0.0.1", "--port", str(port),
        "--system-id", "gw", "--password", "pw",
    )  # fmt: skip


def sent_times(gateway: Gateway, ids: list[str]) -> dict[str, float]:
    """Seconds from acceptance to sent of each message of `ids` that was sent."""
    with sqlite3.connect(gateway.data_dir / "smsgate.db") as db:
        marks = ",".join("?" * len(ids))
        rows = db.execute(
            f"SELECT id, sent_at - created_at FROM messages WHERE id IN ({marks})"
            " AND sent_at IS NOT NULL",
            ids,
        ).fetchall()
    return {str(i): float(d) for i, d in rows}


async def wait_bound(smsc: SmscSimulator) -> None:
    async with asyncio.timeout(30):
        while smsc.counters.binds < 1:
            await asyncio.sleep(0.05)


async def submit(client: httpx.AsyncClient, to: str) -> str:
    response = await client.post(
        "/api/v1/messages", json={"to": to, "from": "bench", "text": "bench"}
    )
    response.raise_for_status()
    message_id: str = response.json()["messages"][0]["id"]
    return message_id


async def run_case(case: Case, healthy_count: int, slow_count: int, code: str | None) -> None:
    slow = SmscSimulator("127.0.0.1", 0, credentials={"gw": "pw"}, submit_delay=case.submit_delay)
    healthy = SmscSimulator("127.0.0.1", 0, credentials={"gw": "pw"})
    await slow.start()
    await healthy.start()
    with tempfile.TemporaryDirectory() as tmp:
        gateway = Gateway(Path(tmp), "", code)
        try:
            add_operator(gateway, "slow", slow.port, "+391")
            add_operator(gateway, "healthy", healthy.port, "+392")
            await wait_bound(slow)
            await wait_bound(healthy)
            headers = {"Authorization": f"Bearer {gateway.key}"}
            base = f"http://127.0.0.1:{gateway.port}"
            async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
                await asyncio.sleep(3)  # the routes are read with the connectors (every 2 s)
                for i in range(slow_count):
                    await submit(client, f"+391333{i:06d}5")
                async with asyncio.timeout(30):
                    while slow.counters.submits_delayed < 1:  # the gateway waits on it
                        await asyncio.sleep(0.01)
                ids = []
                for i in range(healthy_count):
                    ids.append(await submit(client, f"+392333{i:06d}5"))
                    await asyncio.sleep(0.05)
            deadline = time.monotonic() + GIVE_UP
            waits = sent_times(gateway, ids)
            while len(waits) < len(ids) and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                waits = sent_times(gateway, ids)
        finally:
            gateway.stop()
            await slow.stop()
            await healthy.stop()
    ordered = sorted(waits.values())
    case.sent = len(ordered)
    if ordered:
        case.p50 = ordered[len(ordered) // 2]
        case.p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        case.worst = ordered[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--healthy", type=int, default=40, help="messages to the healthy one")
    parser.add_argument("--slow", type=int, default=10, help="messages to the slow one first")
    parser.add_argument("--code", default=None, help="run the gateway from this checkout")
    args = parser.parse_args()
    speed = machine_speed()
    cases = [Case("other operator hung", None), Case("other operator answers after 8 s", 8.0)]
    for case in cases:
        asyncio.run(run_case(case, args.healthy, args.slow, args.code))
    print(f"machine speed: {speed:.0f}M empty-loop iterations/s; gateway code: {args.code or '.'}")
    print(f"{args.slow} messages to the slow operator, then {args.healthy} to the healthy one\n")
    print("| case | healthy sent | p50 s | p99 s | max s |")
    print("|---|---:|---:|---:|---:|")
    for c in cases:
        print(f"| {c.name} | {c.sent}/{args.healthy} | {c.p50:.3f} | {c.p99:.3f} | {c.worst:.3f} |")


if __name__ == "__main__":
    main()
