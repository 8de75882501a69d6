"""How long WAL checkpoints hold the event loop: SQLite's automatic checkpoint in the
writer's commit (the code before) against checkpoints in a thread (store/sqlite_checkpoint).

Run: .venv/bin/python -m bench.wal_checkpoint [--accepts N] [--callers C] [--rounds R]
One-recipient accepts (bench/store_bench.py) into a SQLite file, the two ways alternating
(writer, thread, writer, ...), while a probe asks the loop for a 1 ms nap and records how
late it wakes: the loop's stalls. CPU is the process's (every thread) per accept.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bench.store_bench import COST, NOW, bench_accepts
from smsgate.cli.shared import loop_factory
from smsgate.core.ledger import EntryKind
from smsgate.services.ports import AccountToCreate
from smsgate.store import SqlStore, open_store
from smsgate.store.sqlite import SqliteConnections

NAP = 0.001
STALL = 0.004


def _checkpoint_in_commits(conn: Connection) -> None:
    """SQLite's defaults: the committing connection checkpoints past 1,000 pages."""
    conn.execute(text("PRAGMA wal_autocheckpoint=1000"))
    conn.execute(text("PRAGMA journal_size_limit=-1"))


async def probe(late: list[float], stop: asyncio.Event) -> None:
    # perf_counter: uvloop's loop.time() counts whole milliseconds.
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(NAP)
        late.append(time.perf_counter() - asked - NAP)


async def one_run(mode: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        store = await open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        assert isinstance(store, SqlStore)
        connections = store.connections
        assert isinstance(connections, SqliteConnections)
        if mode == "writer":
            connections.checkpoints.threshold = connections.checkpoints.hard = 1 << 62
            await connections.write(_checkpoint_in_commits)
        try:
            account = await store.create_account(
                AccountToCreate("bench", None, True, "EUR", "IT", 10, None, NOW)
            )
            await store.move_credit(
                movements=[(account.id, EntryKind.TOPUP, COST * args.accepts)],
                reference="bench",
                now=NOW,
            )
            late: list[float] = []
            stop = asyncio.Event()
            probing = asyncio.create_task(probe(late, stop))
            cpu = time.process_time()
            rate = await bench_accepts(store, account.id, args.accepts, args.callers)
            cpu = time.process_time() - cpu
            stop.set()
            await probing
        finally:
            await store.close()
    late.sort()
    return {
        "rate": rate,
        "cpu_us": cpu * 1e6 / args.accepts,
        "p50": late[len(late) // 2] * 1000,
        "p99": late[int(len(late) * 0.99)] * 1000,
        "max": late[-1] * 1000,
        "stalls": sum(1 for lag in late if lag > STALL),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accepts", type=int, default=40_000)
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each way, alternating")
    parser.add_argument("--dir", default=None, help="where the SQLite files go (default /tmp)")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {args.accepts} accepts")
    print()
    print("| round | checkpoints | accepts/s | CPU µs/accept | loop late p50 ms | p99 ms |", end="")
    print(f" max ms | naps late > {STALL * 1000:.0f} ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for round_no in range(1, args.rounds + 1):
        for mode in ("writer", "thread"):
            with asyncio.Runner(loop_factory=loop_factory("auto")) as runner:
                found = runner.run(one_run(mode, args))
            print(
                f"| {round_no} | {mode} | {found['rate']:,.0f} | {found['cpu_us']:.0f} "
                f"| {found['p50']:.2f} | {found['p99']:.2f} | {found['max']:.1f} "
                f"| {found['stalls']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
