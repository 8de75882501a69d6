"""SQLite connections: one write connection on the event loop (BEGIN IMMEDIATE, no busy
timeout: a writer refused the lock waits for the commit bell or naps), a few reader
threads, compiled statements on the driver's connection, WAL + synchronous=NORMAL (safe
through kill -9; FULL through a power loss), and signals as polled `signals` rows.
Why each of these: docs/architecture.md, "Where the time goes"."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from smsgate.core.errors import Unavailable
from smsgate.services.counters import Counters
from smsgate.store.sql_base import COMPILED_SQL
from smsgate.store.sql_signals import add_signal, last_signal_id, signals_after
from smsgate.store.sqlite_bell import CommitBell

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
BUSY_TIMEOUT_MS = 5000
LOCKED_NAP = 0.0002
BELL_PATIENCE = 0.002
# How often a listening process looks for new signals: a change is seen within this.
SIGNAL_POLL = 0.25


class SqliteConnections:
    dialect = "sqlite"

    def __init__(
        self,
        url: URL,
        *,
        synchronous: str = "NORMAL",
        readers: int = 4,
        bell: CommitBell | None = None,
        stats: Counters | None = None,
    ) -> None:
        synchronous = synchronous.upper()
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"sqlite synchronous must be one of {', '.join(SYNCHRONOUS)}")
        url = url.set(drivername="sqlite+pysqlite")
        if not url.database or url.database == ":memory:" or "mode=memory" in str(url):
            # Each thread would get a database of its own; memory:// is the in-memory store.
            raise ValueError("an SQLite store needs a file path; use memory:// for no file")
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        self._writer_engine = create_engine(url, pool_size=1, max_overflow=0)
        self._reader_engine = create_engine(url, pool_size=readers, max_overflow=0)
        _configure(self._writer_engine, synchronous, writer=True)
        _configure(self._reader_engine, synchronous, writer=False)
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="smsgate-sqlite-reader")
        self._conn: Connection | None = None
        self._bell = bell
        self._stats = stats
        self._listeners: dict[str, list[Callable[[str], None]]] = {}
        self._polling: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._conn = self._writer_engine.connect()

    async def write(
        self, fn: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `fn` in one write transaction and COMMIT when it returns; a transaction
        that found the database locked by another process is rolled back and run again."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BUSY_TIMEOUT_MS / 1000
        asked = time.perf_counter()
        while True:
            try:
                began = time.perf_counter()
                result = self._transaction(fn, *args, **kwargs)
            except (sqlite3.OperationalError, OperationalError) as exc:
                if "database is locked" not in str(exc):
                    raise
                if loop.time() > deadline:
                    raise Unavailable("the database stays locked; try again") from exc
            else:
                if self._stats is not None:
                    held, waited = time.perf_counter() - began, began - asked
                    self._stats.add("sqlite_writes")
                    self._stats.add("sqlite_write_us", int(held * 1_000_000))
                    self._stats.add("sqlite_wait_us", int(waited * 1_000_000))
                return result
            if self._bell is None:
                await asyncio.sleep(LOCKED_NAP)
            else:
                await self._bell.wait(BELL_PATIENCE)

    async def read(
        self, fn: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `fn` on a reader; each statement sees a committed snapshot of its own."""
        call = partial(self._on_reader, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._readers, call)

    async def notify(self, channel: str, payload: str = "") -> None:
        await self.write(add_signal, channel, payload, time.time())

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        """Call `callback(payload)` for each signal on `channel` from now on, found by a
        poll every SIGNAL_POLL seconds."""
        self._listeners.setdefault(channel, []).append(callback)
        if self._polling is None:
            after = await self.read(last_signal_id)
            self._polling = asyncio.create_task(self._poll(after))

    async def _poll(self, after: int) -> None:
        while True:
            await asyncio.sleep(SIGNAL_POLL)
            try:
                found = await self.read(signals_after, after, list(self._listeners))
            except Exception:
                log.exception("cannot read signals")
                continue
            for signal_id, channel, payload in found:
                after = signal_id
                for callback in self._listeners.get(channel, []):
                    callback(payload)

    async def close(self) -> None:
        if self._polling is not None:
            self._polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling
            self._polling = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        # Waiting for the threads (and closing files) must not block the loop.
        await asyncio.to_thread(self._shut_down)

    def _shut_down(self) -> None:
        self._readers.shutdown()
        self._writer_engine.dispose()
        self._reader_engine.dispose()

    def _transaction(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self._conn is None:
            raise RuntimeError("the store is not open")
        # The driver's own BEGIN is deferred and skipped for SELECTs, which breaks both
        # locking and snapshots (isolation_level None turns it off, see _configure).
        _driver(self._conn).execute("BEGIN IMMEDIATE")
        try:
            with self._conn.begin():
                return fn(self._conn, *args, **kwargs)
        finally:
            if self._bell is not None:
                self._bell.ring()

    def _on_reader(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        with self._reader_engine.connect() as conn:
            return fn(conn, *args, **kwargs)


class SqliteCompiledSql:
    """Compiled statements run on the sqlite3 connection itself, under the transaction
    SQLAlchemy began; a driver error is raised as SQLAlchemy's, as it would raise it."""

    def execute_many(self, conn: Connection, sql: str, params: Sequence[tuple[Any, ...]]) -> None:
        with _raised_as_sqlalchemy(sql, params):
            _driver(conn).executemany(sql, params)

    def fetch(self, conn: Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
        with _raised_as_sqlalchemy(sql, params):
            return _driver(conn).execute(sql, params).fetchall()


def _driver(conn: Connection) -> sqlite3.Connection:
    return cast(sqlite3.Connection, conn.connection.driver_connection)


@contextmanager
def _raised_as_sqlalchemy(sql: str, params: Any) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc


def _configure(engine: Engine, synchronous: str, *, writer: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        record.info[COMPILED_SQL] = SqliteCompiledSql()
        # The writer emits BEGIN IMMEDIATE itself (_transaction); readers run each
        # statement in autocommit, on a snapshot of its own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        # The writer never waits inside SQLite: it would block the event loop.
        cursor.execute(f"PRAGMA busy_timeout={0 if writer else BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        if not writer:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()
