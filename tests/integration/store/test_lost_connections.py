"""PostgreSQL connections lost under a store: pooled ones the server closed while idle,
and one cut in the middle of a write transaction. A read or write on them is run once
more on a new connection, and a write cut before its COMMIT is committed, and counted
for `/metrics`, once."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from smsgate.services.counters import Counters
from smsgate.store.postgres import PostgresConnections
from tests.e2e.gateway import postgres_database, terminate_backends

pytestmark = pytest.mark.postgres


def count(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM rows_written")).scalar_one())


async def scenario(url: str, admin_url: str) -> None:
    database = url.rsplit("/", 1)[1]
    tries = itertools.count()

    def write(conn: Connection, cut: bool) -> int:
        attempt = next(tries)
        if cut and attempt == 0:  # the server ends this very connection mid-transaction
            conn.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        conn.execute(text("INSERT INTO rows_written VALUES (:n)"), {"n": attempt})
        return attempt

    stats = Counters()
    connections = PostgresConnections(make_url(url), pool_size=4, stats=stats)
    try:
        table = text("CREATE TABLE rows_written (n int)")
        await connections.write(lambda conn: conn.execute(table))
        assert await connections.write(write, True) == 1, "run again after the cut"
        assert await asyncio.gather(*(connections.read(count) for _ in range(4))) == [1] * 4
        assert await asyncio.to_thread(terminate_backends, admin_url, database) >= 1
        assert await asyncio.gather(*(connections.read(count) for _ in range(4))) == [1] * 4
        assert await asyncio.to_thread(terminate_backends, admin_url, database) >= 1
        await connections.write(write, False)
        assert await connections.read(count) == 2, "each write committed once"
        assert stats.total("postgres_writes") == 3, "the table and the two writes; no read"
        assert stats.total("postgres_write_us") > 0
        await connections.notify("smsgate_test")
    finally:
        await connections.close()


def test_lost_connections_are_replaced_and_writes_committed_once(postgres_url: str) -> None:
    with postgres_database(postgres_url) as url:
        asyncio.run(scenario(url, postgres_url))
