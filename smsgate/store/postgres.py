"""PostgreSQL connections: an asyncpg pool; writes in READ COMMITTED transactions with row locks.

The SQL functions are synchronous SQLAlchemy Core; `run_sync` runs them on asyncpg
without blocking the loop. Concurrency is handled by the statements themselves (FOR
UPDATE on payer rows in id order, SKIP LOCKED for claims); reads run in autocommit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import create_async_engine

from smsgate.store.sql_base import COMPILED_SQL

P = ParamSpec("P")
T = TypeVar("T")


class PostgresConnections:
    dialect = "postgresql"

    def __init__(self, url: URL, *, search_path: str | None = None, pool_size: int = 10) -> None:
        settings = {"application_name": "smsgate"}
        if search_path:
            settings["search_path"] = search_path
        connect_args: dict[str, Any] = {"server_settings": settings}
        self._engine = create_async_engine(
            url.set(drivername="postgresql+asyncpg"),
            pool_size=pool_size,
            max_overflow=pool_size,
            connect_args=connect_args,
        )
        self._reader = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        event.listen(self._engine.sync_engine, "connect", _on_connect)

    async def start(self) -> None:
        return None

    async def write(
        self, fn: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `fn` in one transaction; COMMIT when it returns, ROLLBACK when it raises."""
        async with self._engine.begin() as conn:
            return await conn.run_sync(fn, *args, **kwargs)

    async def read(
        self, fn: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        async with self._reader.connect() as conn:
            return await conn.run_sync(fn, *args, **kwargs)

    async def close(self) -> None:
        await self._engine.dispose()


class PostgresCompiledSql:
    """Compiled statements go through `exec_driver_sql`: asyncpg is asynchronous behind
    SQLAlchemy's adapter, which is what runs them on it."""

    def execute_many(self, conn: Connection, sql: str, params: Sequence[tuple[Any, ...]]) -> None:
        conn.exec_driver_sql(sql, list(params))

    def fetch(self, conn: Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
        return list(conn.exec_driver_sql(sql, params))


def _on_connect(_dbapi_connection: Any, record: Any) -> None:
    record.info[COMPILED_SQL] = PostgresCompiledSql()
