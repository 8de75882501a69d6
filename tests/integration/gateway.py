"""The real composition root in this process: `open_gateway` opens a `smsgate.app.Gateway`
(free ports, no demo account, SQLite in `data_dir` unless `database_url` says otherwise)
and closes it after the block; `http_client` talks to an API in process through httpx,
`served_http` serves it with uvicorn on a real loopback port; `shared_url` is a database
several gateways (nodes) can share, SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from smsgate.api.context import ApiContext
from smsgate.api.http import build_app
from smsgate.app import Gateway
from smsgate.config import Settings
from tests.e2e.gateway import postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database for several gateways: an SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    with postgres_database(str(request.getfixturevalue("postgres_url"))) as url:
        yield url


@asynccontextmanager
async def open_gateway(data_dir: Path, **settings: Any) -> AsyncIterator[Gateway]:
    """A gateway built from Settings as `smsgate run` builds it, its roles not started."""
    values: dict[str, Any] = {"http_port": 0, "smpp_port": 0, "demo": False, **settings}
    gateway = await Gateway.open(Settings(data_dir=str(data_dir), **values))
    try:
        yield gateway
    finally:
        await gateway.close()


@asynccontextmanager
async def http_client(context: ApiContext, **transport: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the HTTP API built from `context` (ASGITransport options, e.g. `client`)."""
    asgi = httpx.ASGITransport(build_app(context), **transport)
    async with httpx.AsyncClient(transport=asgi, base_url="http://test") as http:
        yield http


@asynccontextmanager
async def served_http(context: ApiContext) -> AsyncIterator[str]:
    """The HTTP API of `context` served by uvicorn on 127.0.0.1; yields its base URL."""
    config = uvicorn.Config(
        build_app(context), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not serving.done(), "uvicorn stopped before it started"
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
