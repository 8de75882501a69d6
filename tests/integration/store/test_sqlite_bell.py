"""The commit bell: a writer refused the SQLite lock waits for another writer's COMMIT.

The other writer is a second connection to the same file (SQLite locks it against
ours as it would another process's) and the other end of the bell's pipe.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from smsgate.services.counters import Counters
from smsgate.store import sqlite as sqlite_module
from smsgate.store.sqlite import SqliteConnections
from smsgate.store.sqlite_bell import CommitBell

FOREVER = 600.0


@pytest.fixture
def bells() -> Iterator[tuple[CommitBell, CommitBell]]:
    """Two ends of one bell, as two processes hold them."""
    ours = CommitBell.pipe()
    read_fd, write_fd = ours.fds
    theirs = CommitBell(os.dup(read_fd), os.dup(write_fd))
    yield ours, theirs
    ours.close()
    theirs.close()


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return tmp_path / "bell.db"


@pytest.fixture
async def writer(
    store_file: Path, bells: tuple[CommitBell, CommitBell]
) -> AsyncIterator[SqliteConnections]:
    connections = SqliteConnections(make_url(f"sqlite:///{store_file}"), bell=bells[0])
    await connections.start()
    await connections.write(_create)
    yield connections
    await connections.close()


def _create(conn: Connection) -> None:
    conn.execute(text("CREATE TABLE t (x INTEGER)"))


def _insert(conn: Connection, value: int) -> int:
    conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": value})
    return value


def _holder(path: Path) -> sqlite3.Connection:
    """Another writer, holding the write lock until it commits."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (0)")
    return other


async def _refused_once(writer: SqliteConnections, bell: CommitBell) -> asyncio.Task[int]:
    task = asyncio.create_task(writer.write(_insert, 1))
    # The first attempt is refused at once; the writer then waits on the bell.
    while not bell.listening:
        await asyncio.sleep(0.01)
    assert not task.done()
    return task


async def test_a_ring_wakes_the_refused_writer(
    writer: SqliteConnections,
    store_file: Path,
    bells: tuple[CommitBell, CommitBell],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Polling would take FOREVER: only the ring can bring the writer back in time.
    monkeypatch.setattr(sqlite_module, "BELL_PATIENCE", FOREVER)
    ours, theirs = bells
    other = _holder(store_file)
    task = await _refused_once(writer, ours)
    other.execute("COMMIT")
    other.close()
    theirs.ring()
    async with asyncio.timeout(30):
        assert await task == 1
    rows = sqlite3.connect(store_file).execute("SELECT x FROM t ORDER BY x").fetchall()
    assert rows == [(0,), (1,)]


async def test_without_a_ring_the_writer_tries_again_after_its_patience(
    writer: SqliteConnections, store_file: Path, bells: tuple[CommitBell, CommitBell]
) -> None:
    other = _holder(store_file)
    task = await _refused_once(writer, bells[0])
    other.execute("COMMIT")  # a program that does not ring, such as the sqlite3 shell
    other.close()
    async with asyncio.timeout(30):
        assert await task == 1


async def test_every_commit_and_rollback_rings(
    writer: SqliteConnections, bells: tuple[CommitBell, CommitBell]
) -> None:
    theirs = bells[1]
    await writer.write(_insert, 2)
    async with asyncio.timeout(30):
        await theirs.wait(FOREVER)

    def broken(conn: Connection) -> None:
        _insert(conn, 3)
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await writer.write(broken)
    async with asyncio.timeout(30):
        await theirs.wait(FOREVER)


async def test_one_ring_wakes_every_waiter_of_a_process(
    bells: tuple[CommitBell, CommitBell],
) -> None:
    ours, theirs = bells
    waiters = [asyncio.create_task(ours.wait(FOREVER)) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert not any(w.done() for w in waiters)
    theirs.ring()
    async with asyncio.timeout(30):
        await asyncio.gather(*waiters)


async def test_a_wait_without_a_ring_ends_after_its_patience(
    bells: tuple[CommitBell, CommitBell],
) -> None:
    async with asyncio.timeout(30):
        await bells[0].wait(0.01)


def _hold_for(conn: Connection, seconds: float) -> None:
    conn.execute(text("INSERT INTO t VALUES (2)"))
    time.sleep(seconds)  # on the loop: the lock is held, nothing else runs meanwhile


async def test_the_write_lock_s_use_is_counted(
    store_file: Path, bells: tuple[CommitBell, CommitBell]
) -> None:
    stats = Counters()
    connections = SqliteConnections(make_url(f"sqlite:///{store_file}"), bell=bells[0], stats=stats)
    await connections.start()
    try:
        await connections.write(_create)
        await connections.write(_hold_for, 0.05)
        assert stats.total("sqlite_writes") == 2
        assert stats.total("sqlite_write_us") >= 50_000
        assert stats.total("sqlite_wait_us") < 50_000
        other = _holder(store_file)
        task = await _refused_once(connections, bells[0])
        await asyncio.sleep(0.05)  # the writer waits while the other one holds the lock
        other.execute("COMMIT")
        other.close()
        bells[1].ring()
        async with asyncio.timeout(30):
            assert await task == 1
        assert stats.total("sqlite_writes") == 3
        assert stats.total("sqlite_wait_us") >= 50_000
    finally:
        await connections.close()
