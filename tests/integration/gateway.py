"""The real composition root in this process: `open_gateway` opens a `smsgate.app.Gateway`
(free ports, no demo account, SQLite in `data_dir` unless `database_url` says otherwise)
and closes it after the block; `http_client` talks to an API in process through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from smsgate.api.context import ApiContext
from smsgate.api.http import build_app
from smsgate.app import Gateway
from smsgate.config import Settings


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
