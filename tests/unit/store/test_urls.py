"""Store URLs: which backend each one opens, and where the default SQLite file lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsgate.store import MemoryStore, default_url, driver_url, open_store


def test_default_url_creates_the_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "var" / "data"
    assert default_url(str(data)) == f"sqlite:///{data}/smsgate.db"
    assert data.is_dir()


@pytest.mark.parametrize(
    ("url", "driver", "database"),
    [
        ("sqlite:///relative/smsgate.db", "sqlite+pysqlite", "relative/smsgate.db"),
        ("sqlite:////abs/smsgate.db", "sqlite+pysqlite", "/abs/smsgate.db"),
        ("postgresql://sms@db.example:5433/gw", "postgresql+asyncpg", "gw"),
        ("postgres://sms@db.example/gw", "postgresql+asyncpg", "gw"),
        ("postgresql+asyncpg://sms@db.example/gw", "postgresql+asyncpg", "gw"),
    ],
)
def test_driver_url(url: str, driver: str, database: str) -> None:
    parsed = driver_url(url)
    assert (parsed.drivername, parsed.database) == (driver, database)


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported store URL"):
        driver_url("mysql://root:secret@localhost/sms")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
async def test_sqlite_needs_a_file(url: str) -> None:
    with pytest.raises(ValueError, match="file path"):
        await open_store(url)


async def test_memory_url_opens_a_memory_store() -> None:
    store = await open_store("memory://")
    assert isinstance(store, MemoryStore)
    await store.close()


async def test_sqlite_url_creates_missing_directories(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "smsgate.db"
    store = await open_store(f"sqlite:///{path}")
    await store.close()
    assert path.exists()
