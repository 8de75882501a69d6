"""A young database's planner statistics on every backend: PostgreSQL ANALYZEs the tables
grown past what it last counted, until `messages` has been counted; the others have
nothing to do."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.engine import Connection

from smsgate.services.ports import Store
from smsgate.store.sql import SqlStore
from tests.integration.store.scenario import funded, submission


def counted(conn: Connection, table: str) -> float:
    """The rows PostgreSQL last counted in `table` of the current schema (-1: never)."""
    query = text(
        "SELECT reltuples FROM pg_class WHERE relname = :t AND relnamespace = "
        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
    )
    return float(conn.execute(query, {"t": table}).scalar_one())


async def test_messages_are_counted_once_they_are_many(store: Store, backend: str) -> None:
    if backend != "postgres":
        assert await store.analyze_young_tables(50)
        return
    assert isinstance(store, SqlStore)
    assert not await store.analyze_young_tables(50), "no messages yet"
    alice = await funded(store, "alice", 1_000)
    await store.accept(submission(alice, recipients=60))
    for _ in range(40):  # the backends' counts reach the statistics within a second or so
        if await store.analyze_young_tables(50):
            break
        await asyncio.sleep(0.25)
    assert await store.connections.read(counted, "messages") >= 60
    assert await store.connections.read(counted, "ledger") == -1, "one row: not counted"
    assert await store.analyze_young_tables(50), "counted: nothing left to do"
