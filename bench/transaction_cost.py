"""CPU per message of the store's three write transactions, by how many messages share one.

For each group size G: rounds of G concurrent one-recipient accepts (one transaction, by
the group commit), one claim of those G messages and one record of their sends. CPU is
this process's (on the gateway's event loop) and, on PostgreSQL, that of the benchmark
database's backends (/proc).

    .venv/bin/python -m bench.transaction_cost [--groups 1,3,10,30,100] [--messages 3000]
        [--backend sqlite|postgres ...] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import secrets
import tempfile
import time
from pathlib import Path

import asyncpg

from bench.smpp_bench import machine_speed, process_cpu_seconds
from bench.store_bench import COST, NOW, one_recipient, sent_outcome
from smsgate.cli.shared import loop_factory
from smsgate.core.ledger import EntryKind
from smsgate.services.clock import TimeOrderedIds
from smsgate.services.ports import AccountToCreate, Store
from smsgate.store import open_store

STEPS = ("accept", "claim", "record")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Backends:
    """The CPU seconds of one database's PostgreSQL backends (none: SQLite)."""

    def __init__(self, admin: asyncpg.Connection | None, database: str) -> None:
        self._admin = admin
        self._database = database

    async def cpu(self) -> dict[int, float]:
        if self._admin is None:
            return {}
        rows = await self._admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", self._database
        )
        return {int(row["pid"]): process_cpu_seconds(int(row["pid"])) or 0.0 for row in rows}

    async def spent(self, before: dict[int, float]) -> float:
        """Seconds since `before`; a backend started since counts whole."""
        after = await self.cpu()
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


Mark = tuple[dict[int, float], float]


async def mark(backends: Backends) -> Mark:
    """The backends' CPU seconds, then this process's."""
    return await backends.cpu(), own_cpu()


async def add_since(since: Mark, backends: Backends, spent: list[float]) -> None:
    """Add this process's and the backends' CPU seconds since `since` to `spent`."""
    before, mine = since
    spent[0] += own_cpu() - mine
    spent[1] += await backends.spent(before)


async def by_group(
    store: Store, account_id: int, group: int, messages: int, backends: Backends, start: float
) -> dict[str, tuple[float, float]]:
    """µs per message of each step, this process's and the backends', at one group size."""
    ids = TimeOrderedIds()
    spent = {step: [0.0, 0.0] for step in STEPS}
    rounds = max(1, messages // group)
    for n in range(rounds):
        now = start + n
        since = await mark(backends)
        submissions = [one_recipient(account_id, ids, now) for _ in range(group)]
        await asyncio.gather(*(store.accept(submission) for submission in submissions))
        await add_since(since, backends, spent["accept"])
        since = await mark(backends)
        claimed = await store.claim(now + 0.5, group)
        await add_since(since, backends, spent["claim"])
        assert len(claimed) == group, f"claimed {len(claimed)} of {group}"
        since = await mark(backends)
        await store.record_sends([sent_outcome(m) for m in claimed], now + 0.6)
        await add_since(since, backends, spent["record"])
    total = rounds * group
    return {step: (1e6 * p / total, 1e6 * b / total) for step, (p, b) in spent.items()}


async def run(backend: str, args: argparse.Namespace) -> None:
    groups = [int(g) for g in args.groups.split(",")]
    admin, database = None, ""
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        else:
            database = f"smsgate_txcost_{secrets.token_hex(4)}"
            admin = await asyncpg.connect(args.postgres)
            await admin.execute(f'CREATE DATABASE "{database}"')
            url = f"{args.postgres.rsplit('/', 1)[0]}/{database}"
        store = await open_store(url)
        try:
            account = await store.create_account(
                AccountToCreate("bench", None, True, "EUR", "IT", 10, None, NOW)
            )
            credit = COST * args.messages * len(groups) * 2
            await store.move_credit(
                movements=[(account.id, EntryKind.TOPUP, credit)], reference="bench", now=NOW
            )
            backends = Backends(admin, database)
            for i, group in enumerate(groups):
                start = NOW + 1_000_000 * (i + 1)
                cost = await by_group(store, account.id, group, args.messages, backends, start)
                cells = " | ".join(f"{p:,.0f} | {b:,.0f}" for p, b in cost.values())
                whole = sum(p + b for p, b in cost.values())
                print(f"| {backend} | {group} | {cells} | {whole:,.0f} |", flush=True)
        finally:
            await store.close()
            if admin is not None:
                await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", default="1,3,10,30,100", help="messages per transaction")
    parser.add_argument("--messages", type=int, default=3000, help="per group size")
    parser.add_argument(
        "--backend", action="append", choices=["sqlite", "postgres"], help="default: both"
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"{machine_speed():.0f}M empty-loop iterations/s; µs of CPU per message: this "
          "process's, and PostgreSQL's backends'\n")  # fmt: skip
    head = " | ".join(f"{step}: process | {step}: PostgreSQL" for step in STEPS)
    print(f"| backend | messages per transaction | {head} | all |")
    print("|---|---:|" + "---:|" * (2 * len(STEPS) + 1))
    started = time.monotonic()
    for backend in args.backend or ["sqlite", "postgres"]:
        # The event loop a gateway runs on: uvloop's when installed.
        with asyncio.Runner(loop_factory=loop_factory("auto")) as runner:
            runner.run(run(backend, args))
    print(f"\n{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
