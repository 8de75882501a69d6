"""SQLite connections: one writer thread with one connection, and a few reader threads.

Each transaction runs whole in its thread (aiosqlite would hop threads per call: 2-3x
slower). Writes begin IMMEDIATE, so processes sharing the file queue on busy_timeout.
WAL + synchronous=NORMAL survives kill -9; synchronous="FULL" also survives power loss.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection

P = ParamSpec("P")
T = TypeVar("T")

SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
BUSY_TIMEOUT_MS = 5000
BEGIN_NAP = 0.0002
BEGIN_MAX_NAP = 0.002


class SqliteConnections:
    dialect = "sqlite"

    def __init__(self, url: URL, *, synchronous: str = "NORMAL", readers: int = 4) -> None:
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
        _configure(self._writer_engine, synchronous, begin="BEGIN IMMEDIATE")
        _configure(self._reader_engine, synchronous, begin=None)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="smsgate-sqlite-writer")
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="smsgate-sqlite-reader")
        self._conn: Connection | None = None

    async def start(self) -> None:
        self._conn = await self._run(self._writer, self._writer_engine.connect)

    async def write(
        self, fn: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `fn` in one write transaction on the writer thread; COMMIT when it returns."""
        return await self._run(self._writer, partial(self._transaction, fn, *args, **kwargs))

    async def read(
        self, fn: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `fn` on a reader; each statement sees a committed snapshot of its own."""
        return await self._run(self._readers, partial(self._on_reader, fn, *args, **kwargs))

    async def close(self) -> None:
        if self._conn is not None:
            await self._run(self._writer, self._conn.close)
            self._conn = None
        # Waiting for the threads (and closing files) must not block the loop.
        await asyncio.to_thread(self._shut_down)

    def _shut_down(self) -> None:
        self._writer.shutdown()
        self._readers.shutdown()
        self._writer_engine.dispose()
        self._reader_engine.dispose()

    def _transaction(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self._conn is None:
            raise RuntimeError("the store is not open")
        with self._conn.begin():
            return fn(self._conn, *args, **kwargs)

    def _on_reader(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        with self._reader_engine.connect() as conn:
            return fn(conn, *args, **kwargs)

    @staticmethod
    async def _run(executor: ThreadPoolExecutor, call: Callable[[], T]) -> T:
        # A cancelled caller stops waiting; the transaction still ends (commit or
        # rollback) in its thread, as it would in the database after a disconnect.
        return await asyncio.get_running_loop().run_in_executor(executor, call)


def _configure(engine: Engine, synchronous: str, *, begin: str | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below); the driver's own BEGIN is deferred and
        # skipped for SELECTs, which breaks both locking and snapshots.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        busy_timeout = 0 if begin is not None else BUSY_TIMEOUT_MS
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout}")
        cursor.execute("PRAGMA foreign_keys=ON")
        if begin is None:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    if begin is not None:

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            _begin_waiting(conn.connection.dbapi_connection, begin)


def _begin_waiting(dbapi_connection: Any, begin: str) -> None:
    """BEGIN, waiting for another process's write transaction in short naps.

    SQLite's own busy handler sleeps up to 100 ms at a time, far longer than a group
    commit takes; so the writer runs with no busy timeout and naps here instead.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    nap = BEGIN_NAP
    while True:
        try:
            dbapi_connection.execute(begin)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(nap)
        nap = min(nap * 2, BEGIN_MAX_NAP)
