"""`bench.postgres_scale` and `bench.nodes` on a small scale: every query and node count
is measured, the plans name the indexes, and the private databases are gone after; and
the comparison's analyzer of a PostgreSQL gateway's database."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(400)]
REPO = Path(__file__).resolve().parents[2]


def bench(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=380
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def table(output: str, first_cell: str) -> list[list[str]]:
    """The rows of the table whose header starts with `first_cell`, one per measurement."""
    rows: list[list[str]] = []
    width = 0  # the header's, while inside the table
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("|")[1:-1]]
        if cells and cells[0] == first_cell:
            width = len(cells)
        elif width and len(cells) == width and not cells[0].startswith("-"):
            rows.append(cells)
        elif width and len(cells) != width:
            width = 0
    return rows


async def databases(url: str, prefix: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", prefix)
    finally:
        await conn.close()
    return [str(r[0]) for r in rows]


def test_every_hot_query_is_timed_and_explained_in_both_layouts(postgres_url: str) -> None:
    out = bench("bench.postgres_scale", "--rows", "20000", "--backlog", "300",
                "--postgres", postgres_url)  # fmt: skip
    plain, daily = out.split("\ndaily: ", 1)
    for layout in (plain, daily):
        rows = table(layout, "query")
        assert len(rows) == 12, layout
        assert all(float(r[2].replace(",", "")) > 0 for r in rows)
    claim = table(plain, "query")[0]
    assert claim[0].startswith("claim") and "ix_messages_due" in claim[5]
    assert "lookup by id and created_at" in daily and "drop that day's two partitions" in daily
    names = re.findall(r"database (smsgate_scale_\w+)", out)
    assert len(names) == 2
    left = asyncio.run(databases(postgres_url, "smsgate_scale_%"))
    assert not set(names) & set(left)


def test_each_node_count_is_measured_to_the_last_receipt(postgres_url: str) -> None:
    out = bench("bench.nodes", "--messages", "300", "--rounds", "1", "--nodes", "1", "2",
                "--postgres", postgres_url)  # fmt: skip
    rows = table(out, "nodes")
    assert [r[0] for r in rows] == ["1", "2"]
    for row in rows:
        accepted, final = (float(row[i].replace(",", "")) for i in (1, 2))
        assert 0 < final <= accepted
        assert float(row[3].replace(",", "")) > 0 and float(row[4].replace(",", "")) > 0
    assert not asyncio.run(databases(postgres_url, "smsgate_nodes_%"))


async def _analyzed_after(url: str, database: str, *setup: str) -> tuple[object, object]:
    """Table t in a new database `database`, made by `setup`; its last_analyze before and
    after an Analyzer ran there for a few checks."""
    from bench.compare.smsgate_gateway import Analyzer, database_url

    admin = await asyncpg.connect(url)
    await admin.execute(f'CREATE DATABASE "{database}"')
    try:
        conn = await asyncpg.connect(database_url(database, url))
        try:
            await conn.execute("CREATE TABLE t (n int)")
            for statement in setup:
                await conn.execute(statement)
            await asyncio.sleep(1.5)  # the backend's statistics reach the shared counters
            query = "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 't'"
            before = await conn.fetchval(query)
            analyzer = Analyzer(database_url(database, url), 0.2)
            await asyncio.sleep(2.0)
            await asyncio.to_thread(analyzer.stop)
            return before, await conn.fetchval(query)
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


def test_the_analyzer_analyzes_young_tables_by_autovacuums_rule(postgres_url: str) -> None:
    def analyzed(database: str, *setup: str) -> tuple[object, object]:
        return asyncio.run(_analyzed_after(postgres_url, database, *setup))

    # 999 new rows are over the rule's 50 + 10%; 9 are not
    before, after = analyzed("smsgate_analyzer_big", "INSERT INTO t SELECT generate_series(1, 999)")
    assert before is None and after is not None
    before, after = analyzed("smsgate_analyzer_small", "INSERT INTO t SELECT generate_series(1, 9)")
    assert before is None and after is None
    # analyzed with LARGE rows already: left to autovacuum, though 1,000 rows were added
    before, after = analyzed(
        "smsgate_analyzer_large",
        "INSERT INTO t SELECT generate_series(1, 6000)",
        "ANALYZE t",
        "INSERT INTO t SELECT generate_series(1, 1000)",
    )
    assert before is not None and after == before


def test_the_analyzers_backend_is_not_counted_as_the_gateways(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.compare import smsgate_gateway
    from bench.compare.smsgate_gateway import Analyzer, SmsgatePostgres, database_url

    async def connected(database: str) -> tuple[asyncpg.Connection, int]:
        conn = await asyncpg.connect(database_url(database, postgres_url))
        return conn, int(await conn.fetchval("SELECT pg_backend_pid()"))

    monkeypatch.setattr(smsgate_gateway, "POSTGRES", postgres_url)
    gateway = SmsgatePostgres()
    gateway.database = "smsgate_analyzer_pids"
    asyncio.run(run_admin(postgres_url, f'CREATE DATABASE "{gateway.database}"'))
    try:
        analyzer = Analyzer(database_url(gateway.database, postgres_url), 0.2)
        loop = asyncio.new_event_loop()
        conn, backend = loop.run_until_complete(connected(gateway.database))
        try:
            for _ in range(50):  # until the analyzer has connected too
                if analyzer.connected:
                    break
                loop.run_until_complete(asyncio.sleep(0.1))
            assert analyzer.connected
            assert list(gateway.pids().values()) == [backend]
        finally:
            loop.run_until_complete(conn.close())
            loop.close()
            analyzer.stop()
    finally:
        asyncio.run(
            run_admin(postgres_url, f'DROP DATABASE IF EXISTS "{gateway.database}" WITH (FORCE)')
        )


async def run_admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()
