from __future__ import annotations

import asyncio
import contextlib
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.e2e.gateway import GatewayProcess, free_port, simulated_operator


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[GatewayProcess]:
    process = GatewayProcess(tmp_path)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def operator() -> Iterator[tuple[int, subprocess.Popen[str]]]:
    port = free_port()
    with simulated_operator(port) as proc:
        yield port, proc


async def _autocommit(url: str, statement: str) -> None:
    """Run a statement that cannot run in a transaction (CREATE DATABASE) at `url`."""
    driver = url.replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(driver, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A PostgreSQL database of its own on the server of `admin_url`, dropped afterwards."""
    name = f"smsgate_e2e_{secrets.token_hex(4)}"
    asyncio.run(_autocommit(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(_autocommit(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def gateway_on(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    """One gateway per backend for a module's tests; settings come from the module's
    `GATEWAY_SETTINGS` (a dict of setting name to value), if it has one."""
    settings: dict[str, str] = getattr(request.module, "GATEWAY_SETTINGS", {})
    with contextlib.ExitStack() as stack:
        if request.param == "postgres":
            admin_url = request.getfixturevalue("postgres_url")
            settings = {
                **settings,
                "database_url": stack.enter_context(postgres_database(admin_url)),
            }
        process = GatewayProcess(tmp_path_factory.mktemp(request.param), **settings)
        process.start()
        stack.callback(process.stop)
        yield process
