"""The operator console's account queries on a large store: a page of the accounts tree
(top-level accounts, then the first sub-accounts of each) and searches by part of a name,
through `AccountService`, on SQLite and PostgreSQL. Prints a Markdown table of medians.

Run: .venv/bin/python -m bench.console_accounts [--top 2000] [--subs 9] [--runs 30]
         [--backend sqlite|postgres ...] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import create_engine, insert, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bench.store_bench import run_sql
from smsgate.core.accounts import Account
from smsgate.services.accounts import AccountService
from smsgate.services.catalog import Catalog
from smsgate.services.clock import SystemClock
from smsgate.services.credentials import Authenticator
from smsgate.store import driver_url, open_store
from smsgate.store.schema import accounts

PAGE = 50
SUBS = 10


def row(name: str, parent_id: int | None) -> dict[str, Any]:
    return {
        "name": name,
        "parent_id": parent_id,
        "own_balance": True,
        "currency": "EUR",
        "default_country": "",
        "max_parts": 10,
        "password_hash": None,
        "created_at": 0.0,
        "balance": 0,
        "status": "active",
    }


def fill_sqlite(url: str, top: int, subs: int) -> None:
    """`top` top-level accounts c00000.., each with `subs` sub-accounts c00000-s0.."""
    engine = create_engine(driver_url(url), poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(insert(accounts), [row(f"c{i:05d}", None) for i in range(top)])
        ids = [(r.id, r.name) for r in conn.execute(select(accounts.c.id, accounts.c.name))]
        conn.execute(insert(accounts), children(ids, subs))
    engine.dispose()


async def fill_postgres(url: str, search_path: str, top: int, subs: int) -> None:
    args = {"server_settings": {"search_path": search_path}}
    engine = create_async_engine(driver_url(url), poolclass=NullPool, connect_args=args)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(accounts), [row(f"c{i:05d}", None) for i in range(top)])
            found = await conn.execute(select(accounts.c.id, accounts.c.name))
            ids = [(r.id, r.name) for r in found]
            await conn.execute(insert(accounts), children(ids, subs))
    finally:
        await engine.dispose()


def children(parents: Sequence[tuple[int, str]], subs: int) -> list[dict[str, Any]]:
    return [row(f"{name}-s{j}", parent_id) for parent_id, name in parents for j in range(subs)]


async def median_ms(work: Callable[[], Awaitable[object]], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def measure(url: str, search_path: str | None, args: argparse.Namespace) -> list[float]:
    await (await open_store(url, search_path=search_path)).close()  # migrated
    if search_path is None:
        fill_sqlite(url, args.top, args.subs)
    else:
        await fill_postgres(url, search_path, args.top, args.subs)
    store = await open_store(url, search_path=search_path)
    clock = SystemClock()
    service = AccountService(store, Catalog(store, clock), Authenticator(store, clock), clock)
    try:
        page: list[Account] = await service.find(top_level=True, limit=PAGE + 1)
        middle = f"c{args.top // 2:05d}"
        cases: list[Callable[[], Awaitable[object]]] = [
            lambda: service.find(top_level=True, limit=PAGE + 1),
            lambda: service.find(top_level=True, after=middle, limit=PAGE + 1),
            lambda: service.sub_accounts(page[:PAGE], SUBS + 1),
            lambda: service.find("S1", limit=PAGE + 1),
            lambda: service.find(f"{args.top // 3:05d}", limit=PAGE + 1),
            lambda: service.find("nothing", limit=PAGE + 1),
        ]
        return [await median_ms(case, args.runs) for case in cases]
    finally:
        await store.close()


CASES = [
    "tree: first page of top-level accounts",
    "tree: a page in the middle (after=)",
    f"tree: first {SUBS + 1} sub-accounts of {PAGE} parents",
    "search 'S1' (one account in ten matches)",
    "search for one reseller (its accounts match)",
    "search matching nothing",
]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=2000)
    parser.add_argument("--subs", type=int, default=9)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgres"]
    results: dict[str, list[float]] = {}
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as directory:
                results[backend] = await measure(f"sqlite:///{directory}/store.db", None, args)
            continue
        schema = f"bench_{secrets.token_hex(4)}"
        await run_sql(args.postgres, f'CREATE SCHEMA "{schema}"')
        try:
            results[backend] = await measure(args.postgres, schema, args)
        finally:
            await run_sql(args.postgres, f'DROP SCHEMA "{schema}" CASCADE')
    total = args.top * (args.subs + 1)
    print(f"{total:,} accounts ({args.top:,} top-level, {args.subs} sub-accounts each), ", end="")
    print(f"median of {args.runs} runs, ms\n")
    print("| query | " + " | ".join(backends) + " |")
    print("|---|" + "---:|" * len(backends))
    for index, case in enumerate(CASES):
        cells = " | ".join(f"{results[b][index]:.1f}" for b in backends)
        print(f"| {case} | {cells} |")


if __name__ == "__main__":
    asyncio.run(main())
