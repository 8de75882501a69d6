"""Store adapters: `open_store(url)` gives the `services.ports.Store` for a database URL.

memory://                      MemoryStore, for tests and trials
sqlite:///relative/path.db     SQLite file (sqlite:////absolute/path.db)
postgresql://user@host/db      PostgreSQL through asyncpg
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url

from smsgate.services.counters import Counters
from smsgate.store import migrator
from smsgate.store.memory import MemoryStore
from smsgate.store.postgres import PostgresConnections
from smsgate.store.sql import SqlStore
from smsgate.store.sql_base import Connections
from smsgate.store.sqlite import SqliteConnections
from smsgate.store.sqlite_bell import CommitBell

__all__ = [
    "MEMORY_URL",
    "CommitBell",
    "MemoryStore",
    "SqlStore",
    "default_url",
    "migrate",
    "open_store",
]

MEMORY_URL = "memory://"


def default_url(data_dir: str) -> str:
    """The SQLite file in `data_dir` (created if missing) used when no URL is configured."""
    path = Path(data_dir).absolute()
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path / 'smsgate.db'}"


def driver_url(url: str) -> URL:
    """The SQLAlchemy async URL for one of ours (sqlite:/// or postgresql://)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+pysqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported store URL {parsed.render_as_string(hide_password=True)!r}")


def _connections(
    url: str,
    *,
    search_path: str | None,
    pool_size: int,
    sqlite_synchronous: str,
    bell: CommitBell | None = None,
    stats: Counters | None = None,
) -> Connections:
    target = driver_url(url)
    if target.get_backend_name() == "sqlite":
        return SqliteConnections(target, synchronous=sqlite_synchronous, bell=bell, stats=stats)
    return PostgresConnections(target, search_path=search_path, pool_size=pool_size, stats=stats)


async def open_store(
    url: str,
    *,
    migrate: bool = True,
    search_path: str | None = None,
    pool_size: int = 10,
    sqlite_synchronous: str = "NORMAL",
    max_group: int = 512,
    bell: CommitBell | None = None,
    stats: Counters | None = None,
) -> SqlStore | MemoryStore:
    """Open (and by default migrate) the store at `url`; `close()` it when done.

    Both kinds implement `services.ports.Store` and every feature's store Protocol.

    search_path: PostgreSQL schema(s) to work in; pool_size: PostgreSQL connections;
    sqlite_synchronous: "NORMAL" survives a process crash, "FULL" also a power loss;
    max_group: how many `accept` callers may share one transaction;
    bell: shared with the other processes that write the same SQLite file
    (`store.sqlite_bell`), ignored by the other backends; the caller closes it;
    stats: where an SQL store counts its write transactions and their time (on SQLite
    the write lock held and waited for; on PostgreSQL until COMMIT) for `/metrics`.
    """
    if url.startswith(MEMORY_URL):
        return MemoryStore()
    connections = _connections(
        url,
        search_path=search_path,
        pool_size=pool_size,
        sqlite_synchronous=sqlite_synchronous,
        bell=bell,
        stats=stats,
    )
    try:
        await connections.start()
        if migrate:
            await connections.write(migrator.upgrade)
    except BaseException:
        await connections.close()
        raise
    return SqlStore(connections, max_group=max_group)


async def migrate(url: str, *, search_path: str | None = None) -> None:
    """Bring the database at `url` to the newest schema; a no-op when it is there already."""
    if url.startswith(MEMORY_URL):
        return
    connections = _connections(
        url, search_path=search_path, pool_size=1, sqlite_synchronous="NORMAL"
    )
    try:
        await connections.start()
        await connections.write(migrator.upgrade)
    finally:
        await connections.close()
