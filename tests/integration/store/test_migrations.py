"""Migrations build exactly `store.schema` on SQLite and PostgreSQL; running them twice is fine."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from smsgate.store import SqlStore, migrate
from smsgate.store.migrator import alembic_config, current_revision, head_revision
from smsgate.store.schema import metadata
from tests.integration.backends import Database


def _differences(connection: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migrated_database_matches_the_schema(sql_database: Database) -> None:
    await migrate(sql_database.url, search_path=sql_database.search_path)
    await migrate(sql_database.url, search_path=sql_database.search_path)
    store = await sql_database.open()
    store = await sql_database.open()
    assert isinstance(store, SqlStore)

    assert await store.connections.write(_differences) == []
    assert await store.connections.read(current_revision) == head_revision() == "0017"
    assert await store.connections.read(_tables) == set(metadata.tables) | {"alembic_version"}


async def test_open_without_migrating_leaves_the_database_alone(sql_database: Database) -> None:
    store = await sql_database.open(migrate=False)
    assert isinstance(store, SqlStore)
    assert await store.connections.read(_tables) == set()
    await migrate(sql_database.url, search_path=sql_database.search_path)
    assert await store.connections.read(current_revision) == head_revision()


def _upgrade_to(revision: str) -> Any:
    def upgrade(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    return upgrade


async def test_a_database_of_the_previous_revision_upgrades(sql_database: Database) -> None:
    store = await sql_database.open(migrate=False)
    assert isinstance(store, SqlStore)
    await store.connections.write(_upgrade_to("0002"))
    assert await store.connections.read(current_revision) == "0002"
    await store.connections.write(_upgrade_to("head"))
    assert await store.connections.write(_differences) == []
