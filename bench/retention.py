"""What retention costs: rows deleted a second, how long each batch's transaction holds
the writer, and the accepts a second beside it against the same store idle.

Run: .venv/bin/python -m bench.retention [--messages N] [--batch B] [--accepts A]
         [--backend sqlite|postgres ...] [--postgres URL]
N messages 40 days old are accepted, sent and delivered (one part each, as the
dispatcher and receipts would), then pruned with a 30-day period by RetentionService
(which rests as long as each batch took); A one-recipient accepts from 50 callers run
first alone, then while the prune runs. Each store is measured twice, alternately: with
no hourly totals, and with the messages counted in them first (each deleted message is
then also taken out of its hour and day).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from bench.store_bench import COST, NOW, bench_accepts, bench_pipeline, run_sql, submission
from smsgate.core.ledger import EntryKind
from smsgate.services.hourly_totals import HourlyTotalsService
from smsgate.services.ports import AccountToCreate, NewMessage, Store
from smsgate.services.retention import Pruned, RetentionService, RetentionStore
from smsgate.store import open_store

DAY = 86_400.0
OLD = NOW - 40 * DAY


class FixedClock:
    def now(self) -> float:
        return NOW


class TimedPrunes:
    """The store, with each `prune` transaction timed."""

    def __init__(self, store: RetentionStore) -> None:
        self.store = store
        self.seconds: list[float] = []

    async def prune(self, before: float, limit: int) -> Pruned:
        start = time.perf_counter()
        done = await self.store.prune(before, limit)
        self.seconds.append(time.perf_counter() - start)
        return done


async def old_traffic(store: Store, account_id: int, count: int) -> None:
    """`count` delivered messages created 40 days ago, 1,000 to an accept."""
    serial = 0
    for first in range(0, count, 1000):
        size = min(1000, count - first)
        created = OLD + first  # a second apart
        messages = []
        for _ in range(size):
            serial += 1
            messages.append(
                NewMessage(f"{int(created * 1000) << 52 | serial:025x}", "+393331234567", 1, COST)
            )
        batch = submission(account_id, f"old-{first}", tuple(messages), created, NOW + 10 * DAY)
        await store.accept(batch)
    await bench_pipeline(store, 1000)


async def run(backend: str, args: argparse.Namespace, totals: bool) -> list[str]:
    search_path = None
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        else:
            url = args.postgres
            search_path = f"bench_{secrets.token_hex(4)}"
            await run_sql(url, f'CREATE SCHEMA "{search_path}"')
        store = await open_store(url, search_path=search_path)
        try:
            account = await store.create_account(
                AccountToCreate("bench", None, True, "EUR", "IT", 10, None, NOW)
            )
            credit = COST * (args.messages + 2 * args.accepts)
            await store.move_credit(
                movements=[(account.id, EntryKind.TOPUP, credit)], reference="bench", now=NOW
            )
            await old_traffic(store, account.id, args.messages)
            idle = await bench_accepts(store, account.id, args.accepts, 50)
            if totals:
                await HourlyTotalsService(store, FixedClock()).run_once()
            assert isinstance(store, RetentionStore)
            timed = TimedPrunes(store)
            service = RetentionService(timed, FixedClock(), days=30, batch=args.batch)
            start = time.perf_counter()
            pruning = asyncio.create_task(service.run_once())
            beside = await bench_accepts(store, account.id, args.accepts, 50)
            done = await pruning
            elapsed = time.perf_counter() - start
            assert done.messages == args.messages, done
        finally:
            await store.close()
            if search_path is not None:
                await run_sql(url, f'DROP SCHEMA "{search_path}" CASCADE')
    ms = sorted(s * 1000 for s in timed.seconds)
    return [
        f"| {backend} | {'yes' if totals else 'no'} | {args.messages:,} | {args.batch:,} "
        f"| {done.messages / elapsed:,.0f} "
        f"| {statistics.median(ms):.1f} | {ms[int(len(ms) * 0.99)]:.1f} | {ms[-1]:.1f} "
        f"| {idle:,.0f} | {beside:,.0f} |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--accepts", type=int, default=5000)
    parser.add_argument(
        "--backend", action="append", choices=["sqlite", "postgres"], help="default: both"
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}")
    print(
        "| store | hourly totals | old messages | batch | deleted/s | batch p50 ms | p99 ms "
        "| max ms "
        "| accepts/s idle | accepts/s while pruning |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend in args.backend or ["sqlite", "postgres"]:
        for totals in (False, True):
            for line in asyncio.run(run(backend, args, totals)):
                print(line, flush=True)


if __name__ == "__main__":
    main()
