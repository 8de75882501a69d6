"""Store throughput: accepts/s with concurrent callers, then claim+send+receipt rows/s.

Run: .venv/bin/python bench/store_bench.py [--accepts N] [--callers C] [--batch B]
         [--backend sqlite|postgres ...] [--postgres URL] [--sqlite-sync NORMAL|FULL]
One-recipient accepts (grouped by the group commit), then batches of B are claimed,
recorded sent and given a delivery receipt each, as the dispatcher and receipts do.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import secrets
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from smsgate.core.ledger import EntryKind
from smsgate.core.messages import Message, PartStatus, Status
from smsgate.services.clock import TimeOrderedIds
from smsgate.services.ports import (
    AccountToCreate,
    NewMessage,
    ReceiptUpdate,
    SendOutcome,
    SentPart,
    Store,
    Submission,
)
from smsgate.store import SqlStore, driver_url, open_store

NOW = 1_700_000_000.0
COST = 50_000


async def run_sql(url: str, statement: str) -> None:
    engine = create_async_engine(driver_url(url), poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def one_recipient(account_id: int, ids: TimeOrderedIds, created_at: float = NOW) -> Submission:
    """A one-part message to one recipient, as a single send over HTTP makes it."""
    message = NewMessage(ids.new_id(), "+393331234567", 1, COST)
    return submission(account_id, ids.new_id(), (message,), created_at, created_at + 172_800)


def submission(
    account_id: int,
    batch_id: str,
    messages: tuple[NewMessage, ...],
    created_at: float,
    expires_at: float,
) -> Submission:
    """The account's `messages` of one short text, queued now."""
    return Submission(
        batch_id=batch_id,
        account_id=account_id,
        payer_id=account_id,
        sender="smsgate",
        text="Your code is 482913",
        encoding="gsm7",
        currency="EUR",
        status=Status.QUEUED,
        reference=None,
        callback_url=None,
        created_at=created_at,
        scheduled_at=None,
        expires_at=expires_at,
        messages=messages,
    )


def sent_outcome(message: Message) -> SendOutcome:
    """The outcome of an upstream's accepting `message` in one part."""
    part = SentPart(1, f"u{message.id}", PartStatus.SENT, None)
    return SendOutcome(message.id, Status.SENT, "bench", (part,), None, 0, None)


async def bench_accepts(store: Store, account_id: int, total: int, callers: int) -> float:
    ids = TimeOrderedIds()
    remaining = total

    async def caller() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await store.accept(one_recipient(account_id, ids))

    start = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return total / (time.perf_counter() - start)


async def bench_pipeline(store: Store, batch: int) -> tuple[int, float, dict[str, float]]:
    spent = {"claim": 0.0, "record_sends": 0.0, "apply_receipts": 0.0}
    rows = 0
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        claimed = await store.claim(NOW + 1, batch)
        t1 = time.perf_counter()
        if not claimed:
            break
        await store.record_sends([sent_outcome(m) for m in claimed], NOW + 2)
        t2 = time.perf_counter()
        receipts = [
            ReceiptUpdate("bench", f"u{m.id}", PartStatus.DELIVERED, None, NOW + 3) for m in claimed
        ]
        applied = await store.apply_receipts(receipts)
        t3 = time.perf_counter()
        assert not applied.unmatched
        spent["claim"] += t1 - t0
        spent["record_sends"] += t2 - t1
        spent["apply_receipts"] += t3 - t2
        rows += len(claimed)
    elapsed = time.perf_counter() - start
    return rows, rows / elapsed, {k: rows / v for k, v in spent.items() if v}


async def run(backend: str, args: argparse.Namespace) -> None:
    search_path = None
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        else:
            url = args.postgres
            search_path = f"bench_{secrets.token_hex(4)}"
            await run_sql(url, f'CREATE SCHEMA "{search_path}"')
        store = await open_store(url, search_path=search_path, sqlite_synchronous=args.sqlite_sync)
        try:
            account = await store.create_account(
                AccountToCreate("bench", None, True, "EUR", "IT", 10, None, NOW)
            )
            credit = COST * args.accepts
            await store.move_credit(
                movements=[(account.id, EntryKind.TOPUP, credit)], reference="bench", now=NOW
            )
            accepts = await bench_accepts(store, account.id, args.accepts, args.callers)
            groups = store.group_commit.groups if isinstance(store, SqlStore) else 0
            rows, rate, phases = await bench_pipeline(store, args.batch)
            found = await store.account(account.id)
            assert found is not None and found.balance == 0, "every accept was charged"
        finally:
            await store.close()
            if search_path is not None:
                await run_sql(url, f'DROP SCHEMA "{search_path}" CASCADE')
    label = backend if backend == "postgres" else f"sqlite ({args.sqlite_sync})"
    print(
        f"{label:<18} accept: {accepts:>9,.0f}/s ({args.callers} callers, "
        f"{args.accepts / max(groups, 1):.0f} per transaction)"
    )
    detail = ", ".join(f"{name} {value:,.0f}/s" for name, value in phases.items())
    print(
        f"{'':<18} claim+record_sends+apply_receipts: {rate:>9,.0f} rows/s ({rows} rows; {detail})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accepts", type=int, default=20_000)
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--batch", type=int, default=500, help="claim batch size")
    parser.add_argument(
        "--backend", action="append", choices=["sqlite", "postgres"], help="default: both"
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite-sync", default="NORMAL", choices=["NORMAL", "FULL"])
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}")
    for backend in args.backend or ["sqlite", "postgres"]:
        asyncio.run(run(backend, args))


if __name__ == "__main__":
    main()
