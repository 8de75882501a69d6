"""WAL checkpoints in a thread: the writer never checkpoints in a commit, the WAL stays
under the bound its threshold sets however fast the writes come, and closing empties it."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from smsgate.store.sqlite import SqliteConnections

THRESHOLD = 64 * 1024
ROW = 8 * 1024
WRITES = 800


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return tmp_path / "wal.db"


@pytest.fixture
async def writer(store_file: Path) -> AsyncIterator[SqliteConnections]:
    connections = SqliteConnections(make_url(f"sqlite:///{store_file}"), checkpoint_bytes=THRESHOLD)
    await connections.start()
    await connections.write(_create)
    yield connections
    await connections.close()


def _create(conn: Connection) -> None:
    conn.execute(text("CREATE TABLE t (n INTEGER, body BLOB)"))


def _insert(conn: Connection, n: int) -> None:
    conn.execute(text("INSERT INTO t VALUES (:n, :body)"), {"n": n, "body": os.urandom(ROW)})


def _autocheckpoint(conn: Connection) -> int:
    return int(conn.execute(text("PRAGMA wal_autocheckpoint")).scalar_one())


async def test_the_writer_leaves_checkpoints_to_the_thread(writer: SqliteConnections) -> None:
    assert await writer.write(_autocheckpoint) == 0


async def test_the_wal_stays_bounded_under_writes_that_never_pause(
    writer: SqliteConnections, store_file: Path
) -> None:
    largest = 0
    for n in range(WRITES):
        await writer.write(_insert, n)
        largest = max(largest, writer.checkpoints.wal_bytes())
    # The writes filled the WAL past its threshold (10 times the hard bound went through
    # it), yet it never held more than the hard bound and the one commit that passed it.
    assert largest >= writer.checkpoints.threshold
    assert largest <= writer.checkpoints.hard + 2 * ROW
    with sqlite3.connect(store_file) as db:
        assert db.execute("SELECT count(*), sum(n) FROM t").fetchone() == (
            WRITES,
            sum(range(WRITES)),
        )


async def test_closing_empties_the_wal_and_keeps_every_row(store_file: Path) -> None:
    connections = SqliteConnections(make_url(f"sqlite:///{store_file}"))
    await connections.start()
    await connections.write(_create)
    for n in range(50):
        await connections.write(_insert, n)
    wal = Path(f"{store_file}-wal")
    assert wal.stat().st_size > 50 * ROW
    await connections.close()
    assert not wal.exists() or wal.stat().st_size == 0
    with sqlite3.connect(store_file) as db:
        assert db.execute("SELECT count(*) FROM t").fetchone() == (50,)
