"""A store that cannot reach its database raises Unavailable (the API answers "try
again"), and works again once the database is back: PostgreSQL refusing connections
and cutting those open, SQLite locked by another process past the busy timeout."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from smsgate.core.errors import Unavailable
from smsgate.services.nodes import NodeStore
from smsgate.services.ports import Store
from smsgate.store import open_store
from smsgate.store import sqlite as sqlite_store
from tests.conftest import run_sql
from tests.e2e.gateway import postgres_database


def nodes(store: Store) -> NodeStore:
    assert isinstance(store, NodeStore)
    return store


@pytest.mark.postgres
def test_a_closed_postgresql_database_is_unavailable_until_it_opens(postgres_url: str) -> None:
    async def scenario(url: str, name: str) -> None:
        opened = await open_store(url)
        store = nodes(opened)
        try:
            await store.register_node("n1", "host", 1, 60.0)
            await run_sql(postgres_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await run_sql(
                postgres_url,
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
            )
            with pytest.raises(Unavailable):
                await store.register_node("n2", "host", 2, 60.0)
            with pytest.raises(Unavailable):
                await store.live_nodes()
            await run_sql(postgres_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            await store.register_node("n2", "host", 2, 60.0)
            assert sorted(n.id for n in await store.live_nodes()) == ["n1", "n2"]
        finally:
            await run_sql(postgres_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            await opened.close()

    with postgres_database(postgres_url) as url:
        asyncio.run(scenario(url, url.rsplit("/", 1)[1]))


async def test_sqlite_locked_past_the_busy_timeout_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "smsgate.db"
    opened = await open_store(f"sqlite:///{path}")
    store = nodes(opened)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(Unavailable):
            await store.register_node("n1", "host", 1, 60.0)
        other.execute("COMMIT")
        await store.register_node("n1", "host", 1, 60.0)
        assert [n.id for n in await store.live_nodes()] == ["n1"]
    finally:
        other.close()
        await opened.close()
