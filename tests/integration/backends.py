"""Store fixtures: a test asking for `store` runs on memory, SQLite (a tmp file) and PostgreSQL.

A test directory takes them in its conftest.py. After each test the money invariant is
checked. Each PostgreSQL test gets a schema of its own (t_<random>, dropped afterwards),
so tests never see each other's rows. `database` can open several stores on one database."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from smsgate.services.ports import Store
from smsgate.store import open_store
from tests.conftest import run_sql
from tests.integration.store.scenario import assert_money_consistent

SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
BACKENDS = ["memory", *SQL_BACKENDS]


@dataclass
class Database:
    """One database (or PostgreSQL schema) and the stores opened on it."""

    backend: str
    url: str
    search_path: str | None = None
    opened: list[Store] = field(default_factory=list)

    async def open(self, **options: Any) -> Store:
        store = await open_store(self.url, search_path=self.search_path, **options)
        self.opened.append(store)
        return store

    async def close(self) -> None:
        for store in self.opened:
            await store.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Database]:
    async with fresh_database(backend, tmp_path, request) as db:
        yield db


@pytest.fixture(params=SQL_BACKENDS)
async def sql_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty SQL database (SQLite or PostgreSQL), not opened or migrated yet."""
    async with fresh_database(str(request.param), tmp_path, request) as db:
        yield db


@asynccontextmanager
async def fresh_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Database]:
    if backend == "memory":
        db = Database(backend, "memory://")
    elif backend == "sqlite":
        db = Database(backend, f"sqlite:///{tmp_path / 'store.db'}")
    else:
        url = str(request.getfixturevalue("postgres_url"))
        db = Database(backend, url, f"t_{secrets.token_hex(6)}")
        await run_sql(url, f'CREATE SCHEMA "{db.search_path}"')
    try:
        yield db
    finally:
        await db.close()
        if db.search_path is not None:
            await run_sql(db.url, f'DROP SCHEMA "{db.search_path}" CASCADE')


@pytest.fixture
async def store(database: Database) -> AsyncIterator[Store]:
    opened = await database.open()
    yield opened
    # The invariant of every scenario: each balance is the sum of its ledger entries.
    await assert_money_consistent(opened)
