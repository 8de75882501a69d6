"""Fixtures shared by every test tier: the PostgreSQL server the store tests run against.

PostgreSQL is optional on a developer machine (its tests skip with the reason) and
mandatory in CI (CI=true): there an unreachable server fails the run.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


async def run_sql(url: str, statement: str) -> None:
    """Run one statement on the PostgreSQL server at `url`, outside any store."""
    driver = url.replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(driver, poolclass=NullPool, connect_args={"timeout": 3})
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A reachable PostgreSQL URL (env SMSGATE_TEST_POSTGRES_URL), or skip / fail."""
    url = os.environ.get("SMSGATE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    # A thread with a loop of its own: this may be requested from inside a running loop.
    try:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(lambda: asyncio.run(run_sql(url, "SELECT 1"))).result()
    except (OSError, DBAPIError, TimeoutError) as exc:
        reason = f"PostgreSQL at {url} is unreachable ({exc.__class__.__name__}: {exc})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true makes PostgreSQL mandatory")
        pytest.skip(f"{reason}; set SMSGATE_TEST_POSTGRES_URL to run these tests")
    return url
