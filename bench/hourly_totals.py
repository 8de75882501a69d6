"""What the job of the hourly totals costs with 1,000,000 messages in the store.

On the store `bench.portal_pages` generates (the same arguments find the same cached
store), forgets the totals, then times the first run (every hour counted, as after an
upgrade) and `--runs` runs after it (the hours that can still change: those holding a
message waiting for its receipt, and the new hour). Then reads the big customer's 30
days by day, country and status `--reads` times from the live messages (the store's
`destination_totals`, what the pages read before) and from the totals
(`country_totals`), alternately. Prints Markdown tables.

    .venv/bin/python -m bench.hourly_totals [--store sqlite|postgresql://...]
        [--messages 1000000] [--runs 5] [--reads 5]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bench.portal_pages import prepared, store_arguments
from smsgate.services.clock import SystemClock
from smsgate.services.hourly_totals import HourlyTotalsService, HourlyTotalsStore
from smsgate.store import MemoryStore, SqlStore, open_store

DAY = 86_400


def forget(conn: Connection) -> None:
    """The totals gone, as before the job's first run."""
    conn.execute(text("DELETE FROM message_hours"))
    conn.execute(text("DELETE FROM message_days"))
    conn.execute(text("UPDATE message_hours_state SET watermark = NULL"))


@dataclass(eq=False)
class Timed:
    """The store, with the time of each `roll_up` transaction and `stale_hours` read."""

    store: HourlyTotalsStore
    transactions: list[float] = field(default_factory=list)
    reads: list[float] = field(default_factory=list)

    async def stale_hours(self, watermark: int) -> list[int]:
        started = time.perf_counter()
        try:
            return await self.store.stale_hours(watermark)
        finally:
            self.reads.append(time.perf_counter() - started)

    async def roll_up(self, hours: Sequence[int], watermark: int) -> int:
        started = time.perf_counter()
        try:
            return await self.store.roll_up(hours, watermark)
        finally:
            self.transactions.append(time.perf_counter() - started)


async def measure(url: str, runs: int, reads: int) -> None:
    store = await open_store(url)
    assert isinstance(store, SqlStore)
    await store.connections.write(forget)
    try:
        print(
            "| run | hours | messages | seconds | messages/s | finding hours ms "
            "| longest transaction ms |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|", flush=True)
        for n in range(runs + 1):
            timed = Timed(store)
            job = HourlyTotalsService(timed, SystemClock())
            started = time.perf_counter()
            done = await job.run_once()
            seconds = time.perf_counter() - started
            name = "first (all hours)" if n == 0 else f"next {n}"
            rate = done.messages / seconds if seconds else 0.0
            longest = max(timed.transactions, default=0.0) * 1000
            print(
                f"| {name} | {done.hours} | {done.messages:,} | {seconds:.2f} | {rate:,.0f} "
                f"| {sum(timed.reads) * 1000:.0f} | {longest:.0f} |",
                flush=True,
            )
        await compare_reads(store, reads)
    finally:
        await store.close()


async def compare_reads(store: SqlStore | MemoryStore, reads: int) -> None:
    """The 30 days' report read from the live messages and from the totals, alternately."""
    account = await store.account_by_name("big")
    assert account is not None
    big = account.id
    until = (int(time.time()) // DAY + 1) * DAY
    since = until - 30 * DAY
    ways: dict[str, Callable[..., Awaitable[Sequence[object]]]] = {
        "live messages (destination_totals)": store.destination_totals,
        "hourly totals (country_totals)": store.country_totals,
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    rows: dict[str, int] = {}
    for _ in range(reads):
        for name, read in ways.items():
            started = time.perf_counter()
            found = await read([big], since=since, until=until, utc_offset=0)
            times[name].append(time.perf_counter() - started)
            rows[name] = len(found)
    print()
    print("| read of 30 days | rows | p50 ms | max ms |")
    print("|---|---:|---:|---:|")
    for name, taken in times.items():
        taken.sort()
        print(
            f"| {name} | {rows[name]} | {taken[len(taken) // 2] * 1000:.1f} "
            f"| {taken[-1] * 1000:.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    store_arguments(parser)
    parser.add_argument("--runs", type=int, default=5, help="runs timed after the first")
    parser.add_argument("--reads", type=int, default=5, help="reads of each kind timed")
    args = parser.parse_args()
    store, _, _ = prepared(args)
    asyncio.run(measure(store.url, args.runs, args.reads))


if __name__ == "__main__":
    main()
