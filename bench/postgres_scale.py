"""PostgreSQL at tens of millions of messages: the hot queries of the dispatcher, the portal,
statistics, expiry and retention, run as the store runs them (rolled back), timed (first run,
then the median of 3, or 1 when over 5 s) and EXPLAINed (ANALYZE, BUFFERS) on a generated
private database, the message tables plain or partitioned by day.
Run: .venv/bin/python -m bench.postgres_scale [--rows N] [--layout plain|daily ...]"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bench.postgres_scale_data import DAY, NOW, Built, fill, table_indexes
from bench.postgres_scale_layout import daily_partitions, index_sizes, partition_retention
from bench.smpp_bench import machine_speed
from smsgate.core.messages import Status
from smsgate.services.ports import MessageQuery
from smsgate.store import driver_url, migrate
from smsgate.store.postgres import compiling
from smsgate.store.sql_dispatch import claim, expire
from smsgate.store.sql_messages import message, message_page
from smsgate.store.sql_retention import prune
from smsgate.store.sql_statistics import message_totals

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
RUNS = 3  # warm runs after the first
SLOW_MS = 5000  # a query slower than this the first time runs once more, not RUNS times
_EXPLAINABLE = ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH")
Work = Callable[[Connection], object]
Sent = list[tuple[str, Any]]


async def build(url: str, rows: int, backlog: int, layout: str) -> Built:
    """Migrate, (re)lay the message tables out, load `rows` messages, index, vacuum."""
    built = Built()
    started = time.perf_counter()
    await migrate(url)
    built.time("migrate", started)
    conn = await asyncpg.connect(url)
    try:
        indexes = await table_indexes(conn, "public", "messages")
        indexes += await table_indexes(conn, "public", "parts")
        if layout == "daily":
            await daily_partitions(conn)
        for statement in indexes:
            await conn.execute(f"DROP INDEX IF EXISTS {statement.split()[2]}")
        heaps = ["batches"] + [
            str(r[0])
            for table in ("messages", "parts")
            for r in await conn.fetch(
                "SELECT relid::regclass::text FROM pg_partition_tree($1) WHERE isleaf", table
            )
            or [(table,)]
        ]
        for table in heaps:
            await conn.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
        await fill(conn, "public", rows, backlog, built, part_time=layout == "daily")
        await conn.execute("SET maintenance_work_mem = '1GB'")
        for statement in indexes:
            started = time.perf_counter()
            await conn.execute(statement)
            built.time("indexes", started)
        started = time.perf_counter()
        await conn.execute("VACUUM (ANALYZE) messages, parts, batches, accounts")
        built.time("vacuum analyze", started)
        for table in heaps:
            await conn.execute(f"ALTER TABLE {table} RESET (autovacuum_enabled)")
    finally:
        await conn.close()
    return built


class Captured:
    """The statements a store function sends, with their parameters, as it sends them."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.statements: list[tuple[str, Any]] = []
        self.on = False
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if self.on:
            self.statements.append((statement, params))


def _plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def _summary(plan: dict[str, Any]) -> tuple[str, int, int]:
    """The plan's scans (index name or Seq Scan, with how many partitions), buffers hit
    and read of the whole statement."""
    scans: dict[str, int] = {}
    for node in _plan_nodes(plan):
        kind = node["Node Type"]
        if "Index Name" in node:
            name = node["Index Name"].removeprefix("messages_").removeprefix("parts_")
            name = name.split("_", 1)[1] if name[:1] == "d" and name[1:9].isdigit() else name
            label = f"{'IOS ' if kind == 'Index Only Scan' else ''}{name}"
        elif kind in ("Seq Scan", "Bitmap Heap Scan") and "Relation Name" in node:
            label = f"{kind} {node['Relation Name'].split('_d')[0]}"
        else:
            continue
        scans[label] = scans.get(label, 0) + 1
    text = ", ".join(k if n == 1 else f"{k} ×{n}" for k, n in scans.items())
    return text, int(plan.get("Shared Hit Blocks", 0)), int(plan.get("Shared Read Blocks", 0))


def explained(conn: Connection, statements: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement, in order, in one rolled-back
    transaction."""
    plans = []
    with conn.begin() as transaction:
        for statement, params in statements:
            if not statement.lstrip().upper().startswith(_EXPLAINABLE):
                continue
            head = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "
            row = conn.exec_driver_sql(head + statement, params).scalar_one()
            plan = (json.loads(row) if isinstance(row, str) else row)[0]
            plan["Statement"] = statement
            plans.append(plan)
        transaction.rollback()
    return plans


def timed(conn: Connection, captured: Captured, work: Work) -> tuple[float, Sent]:
    """Milliseconds `work` took in a transaction then rolled back, and what it sent."""
    captured.statements, captured.on = [], True
    try:
        with conn.begin() as transaction:
            started = time.perf_counter()
            work(conn)
            elapsed = (time.perf_counter() - started) * 1000
            transaction.rollback()
    finally:
        captured.on = False
    return elapsed, captured.statements


def queries(big: int, mid: int, some_id: str) -> dict[str, Callable[[Connection], object]]:
    """The hot queries, as the store runs them: `big` is the busiest account, `mid` one
    of the median ones."""
    day = NOW - 15 * DAY

    def page(account: int, **kwargs: Any) -> Callable[[Connection], object]:
        return lambda c: message_page(c, account, MessageQuery(limit=50, **kwargs))

    return {
        "claim 200 due (dispatcher)": lambda c: claim(c, NOW, 200, "node-a"),
        "lookup by id": lambda c: message(c, some_id),
        "portal first page, busiest account": page(big),
        "portal first page, median account": page(mid),
        "portal status=undelivered, busiest": page(big, status=Status.UNDELIVERED),
        "portal status=undelivered, median": page(mid, status=Status.UNDELIVERED),
        "portal one day, busiest": page(big, since=day, until=day + DAY),
        "portal one day, median": page(mid, since=day, until=day + DAY),
        "statistics 30 days, busiest": lambda c: message_totals(c, [big], NOW - 30 * DAY, NOW, 0),
        "statistics 30 days, median": lambda c: message_totals(c, [mid], NOW - 30 * DAY, NOW, 0),
        "expiry sweep (1,000)": lambda c: expire(c, NOW, 1000),
        "retention batch delete (1,000)": lambda c: prune(c, NOW - 29 * DAY, 1000),
    }


async def measure(
    url: str, plans_dir: Path | None, label: str, only: str | None = None, skip: str | None = None
) -> list[list[str]]:
    engine = create_async_engine(driver_url(url), poolclass=NullPool)
    compiling(engine)
    captured = Captured(engine)
    rows: list[list[str]] = []
    try:
        async with engine.connect() as conn:
            picked = await conn.exec_driver_sql(
                "SELECT account_id, count(*) FROM messages GROUP BY 1 ORDER BY 2 DESC"
            )
            counts = picked.all()
            big, mid = int(counts[0][0]), int(counts[len(counts) // 2][0])
            some_id = str((await conn.exec_driver_sql("SELECT min(id) FROM messages")).scalar_one())
            await conn.commit()
            for name, work in queries(big, mid, some_id).items():
                if (only is not None and only not in name) or (skip and skip in name):
                    continue
                first, sent = await conn.run_sync(timed, captured, work)
                runs = RUNS if first < SLOW_MS else 1
                warm = [(await conn.run_sync(timed, captured, work))[0] for _ in range(runs)]
                plans = await conn.run_sync(explained, sent)
                scans = "; ".join(s for s in (_summary(p["Plan"])[0] for p in plans) if s)
                hit = sum(_summary(p["Plan"])[1] for p in plans)
                read = sum(_summary(p["Plan"])[2] for p in plans)
                rows.append(
                    [
                        name,
                        f"{first:,.1f}",
                        f"{statistics.median(warm):,.1f}",
                        f"{hit:,}",
                        f"{read:,}",
                        scans,
                    ]
                )
                print("| " + " | ".join(rows[-1]) + " |", flush=True)
                if plans_dir is not None:
                    path = plans_dir / f"{label}-{name.replace(', ', '-').replace(' ', '_')}.json"
                    path.write_text(json.dumps(plans, indent=1, default=str))
    finally:
        await engine.dispose()
    return rows


async def try_index(url: str, args: argparse.Namespace, label: str) -> None:
    """The queries again with the index `--try-index` creates, which is dropped after."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET maintenance_work_mem = '1GB'")
        started = time.perf_counter()
        await conn.execute(args.try_index)
        name = args.try_index.split()[2]
        size = await conn.fetchval("SELECT pg_size_pretty(pg_relation_size($1::regclass))", name)
        print(f"with {name} ({size}, built in {time.perf_counter() - started:,.0f} s):")
        await conn.execute("ANALYZE messages")
        await measure(url, args.plans, label, args.only)
        await conn.execute(f"DROP INDEX {name}")
    finally:
        await conn.close()


async def run(args: argparse.Namespace, layout: str) -> None:
    name = args.database or f"smsgate_scale_{secrets.token_hex(4)}"
    url = f"{args.postgres.rsplit('/', 1)[0]}/{name}"
    admin = await asyncpg.connect(args.postgres)
    try:
        if args.database is None:
            await admin.execute(f'CREATE DATABASE "{name}"')
            built = await build(url, args.rows, args.backlog, layout)
            steps = ", ".join(f"{k} {v:,.0f} s" for k, v in built.steps.items())
            total = sum(built.steps.values())
            print(f"{layout}: {args.rows:,} messages built in {total:,.0f} s ({steps})")
        size = await admin.fetchval("SELECT pg_size_pretty(pg_database_size($1))", name)
        print(
            f"{layout}: database {name} {size}, load average {os.getloadavg()}, "
            f"machine speed {machine_speed():.0f}M"
        )
        for index, size in (await index_sizes(url)).items():
            print(f"| {layout} | {index} | {size} |")
        print("| query | first ms | warm ms | buffers hit | buffers read | scans |")
        print("|---|---:|---:|---:|---:|---|")
        await measure(url, args.plans, f"{layout}-{args.rows}", args.only, args.skip)
        if args.try_index:
            await try_index(url, args, f"{layout}-{args.rows}-tried")
        if layout == "daily":
            for line in await partition_retention(url):
                print(line)
        print(f"{layout}: load average after {os.getloadavg()}")
    finally:
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--backlog", type=int, default=20_000, help="queued messages due")
    parser.add_argument("--layout", action="append", choices=["plain", "daily"])
    parser.add_argument("--postgres", default=ADMIN_URL)
    parser.add_argument("--plans", type=Path, help="write each EXPLAIN (JSON) here")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--database", help="measure this database built before with --keep")
    parser.add_argument("--only", help="measure only the queries whose name has this")
    parser.add_argument("--skip", help="do not measure the queries whose name has this")
    parser.add_argument("--try-index", help="CREATE INDEX name ...: measure again with it")
    args = parser.parse_args()
    for layout in args.layout or ["plain", "daily"]:
        asyncio.run(run(args, layout))


if __name__ == "__main__":
    main()
