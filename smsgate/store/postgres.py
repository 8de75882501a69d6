"""PostgreSQL connections: an asyncpg pool; writes in READ COMMITTED transactions with row locks.

The SQL functions are synchronous SQLAlchemy Core; `run_sync` runs them on asyncpg
without blocking the loop. Concurrency is handled by the statements themselves (FOR
UPDATE on payer rows in id order, SKIP LOCKED for claims); reads run in autocommit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

import asyncpg
from sqlalchemy import event, func, select
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from smsgate.core.errors import Unavailable
from smsgate.services.counters import Counters
from smsgate.store.sql_base import COMPILED_SQL

log = logging.getLogger(__name__)

LISTEN_RETRY = 1.0
P = ParamSpec("P")
T = TypeVar("T")


class PostgresConnections:
    dialect = "postgresql"

    def __init__(
        self,
        url: URL,
        *,
        search_path: str | None = None,
        pool_size: int = 10,
        stats: Counters | None = None,
    ) -> None:
        settings = {"application_name": "smsgate"}
        if search_path:
            settings["search_path"] = search_path
        connect_args: dict[str, Any] = {"server_settings": settings}
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._server_settings = settings
        self._listeners: list[asyncio.Task[None]] = []
        self._stats = stats
        self._engine = create_async_engine(
            url.set(drivername="postgresql+asyncpg"),
            pool_size=pool_size,
            max_overflow=pool_size,
            connect_args=connect_args,
        )
        self._reader = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        compiling(self._engine)

    async def start(self) -> None:
        return None

    async def write(
        self, fn: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `fn` in one transaction; COMMIT when it returns, ROLLBACK when it raises.
        A connection lost before COMMIT (closed by the server while idle in the pool, or
        cut mid-transaction: nothing was committed) is replaced and `fn` run once more;
        one lost during COMMIT is not, as the transaction may have committed. Unavailable
        when no connection can be had, or the second one is lost too."""
        try:
            return await self._transaction(fn, *args, **kwargs)
        except LostBeforeCommit as lost:
            log.warning("connection to PostgreSQL lost before COMMIT; trying once more")
            try:
                return await self._transaction(fn, *args, **kwargs)
            except LostBeforeCommit as again:
                raise unavailable(again.error) from lost.error

    async def _transaction(
        self, fn: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        began = time.perf_counter()
        conn = await connect(self._engine)
        try:
            async with conn.begin():
                try:
                    result = await conn.run_sync(fn, *args, **kwargs)
                except DBAPIError as exc:
                    if exc.connection_invalidated:
                        raise LostBeforeCommit(exc) from exc
                    raise
        finally:
            await conn.close()
        if self._stats is not None:
            self._stats.add("postgres_writes")
            self._stats.add("postgres_write_us", int((time.perf_counter() - began) * 1_000_000))
        return result

    async def read(
        self, fn: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `fn` without a transaction; once more on a new connection if the one
        taken from the pool turns out lost (Unavailable if that one is lost too)."""
        for last in (False, True):
            conn = await connect(self._reader)
            try:
                return await conn.run_sync(fn, *args, **kwargs)
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
                if last:
                    raise unavailable(exc) from exc
            finally:
                await conn.close()
        raise AssertionError("unreachable")

    async def notify(self, channel: str, payload: str = "") -> None:
        await self.read(_notify, channel, payload)

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        listening = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(self._keep_listening(channel, callback, listening))
        self._listeners.append(task)
        await asyncio.shield(listening)

    async def _keep_listening(
        self, channel: str, callback: Callable[[str], None], listening: asyncio.Future[None]
    ) -> None:
        """One connection of its own LISTENs on `channel`; a lost one is replaced after
        LISTEN_RETRY seconds, and `callback("")` is called then (a notification may have
        been missed meanwhile)."""
        while True:
            try:
                await self._listen_once(channel, callback, listening)
            except (OSError, asyncpg.PostgresError):
                log.warning("cannot LISTEN on %s; trying again", channel)
            await asyncio.sleep(LISTEN_RETRY)

    async def _listen_once(
        self, channel: str, callback: Callable[[str], None], listening: asyncio.Future[None]
    ) -> None:
        """LISTEN on one new connection until it is lost."""
        lost = asyncio.Event()
        conn = await asyncpg.connect(self._dsn, server_settings=self._server_settings)
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(channel, lambda *args: callback(args[-1]))
            if listening.done():
                callback("")
            else:
                listening.set_result(None)
            await lost.wait()
        finally:
            if not conn.is_closed():
                await conn.close()

    async def close(self) -> None:
        for task in self._listeners:
            task.cancel()
        await asyncio.gather(*self._listeners, return_exceptions=True)
        self._listeners.clear()
        await self._engine.dispose()


async def connect(engine: AsyncEngine) -> AsyncConnection:
    """A connection from the pool, or a new one; Unavailable when none can be had."""
    try:
        return await engine.connect()
    except (DBAPIError, OSError) as exc:
        raise unavailable(exc) from exc


def unavailable(error: Exception) -> Unavailable:
    log.warning("PostgreSQL cannot be reached: %s", str(error).splitlines()[0])
    return Unavailable("the database cannot be reached; try again")


class LostBeforeCommit(Exception):
    """The connection of a write transaction was lost before its COMMIT was sent."""

    def __init__(self, error: DBAPIError) -> None:
        super().__init__(str(error))
        self.error = error


def _notify(conn: Connection, channel: str, payload: str) -> None:
    conn.execute(select(func.pg_notify(channel, payload)))


class PostgresCompiledSql:
    """Compiled statements go through `exec_driver_sql`: asyncpg is asynchronous behind
    SQLAlchemy's adapter, which is what runs them on it."""

    def execute_many(self, conn: Connection, sql: str, params: Sequence[tuple[Any, ...]]) -> None:
        conn.exec_driver_sql(sql, list(params))

    def fetch(self, conn: Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
        return list(conn.exec_driver_sql(sql, params))


def compiling(engine: AsyncEngine) -> None:
    """Let `engine`'s connections run the statements sql_rows compiles once (the store's
    own, and a tool's that calls the store's SQL functions on an engine of its own)."""
    event.listen(engine.sync_engine, "connect", _on_connect)


def _on_connect(_dbapi_connection: Any, record: Any) -> None:
    record.info[COMPILED_SQL] = PostgresCompiledSql()
