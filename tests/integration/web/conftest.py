"""The portal of the real composition root (SQLite and the memory store), driven through
httpx's ASGI transport like a browser: cookies kept, each form's CSRF token read back."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from tests.integration.gateway import http_client, open_gateway

PRICE = 50_000  # 0.05 per part
CREDIT = 10_000_000
PASSWORD = "alice-secret"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Visitor:
    """One browser: its cookies and the CSRF token of the last page it read."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.csrf = ""

    async def get(self, path: str, **params: Any) -> httpx.Response:
        response = await self.http.get(path, params=params or None)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def post(self, path: str, data: dict[str, Any], *, csrf: bool = True) -> httpx.Response:
        body = {"csrf": self.csrf, **data} if csrf else data
        response = await self.http.post(path, data=body)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def log_in(self, name: str = "alice", password: str = PASSWORD) -> httpx.Response:
        await self.get("/portal/login")
        return await self.post("/portal/login", {"name": name, "password": password})


@pytest.fixture(params=["sqlite", "memory"])
async def gateway(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings: dict[str, Any] = {"database_url": "memory://"} if request.param == "memory" else {}
    async with open_gateway(tmp_path, **settings) as gateway:
        await gateway.accounts.set_price(None, "*", PRICE)
        yield gateway


@pytest.fixture
async def alice(gateway: Gateway) -> Account:
    created = await gateway.accounts.create(
        "alice", credit=CREDIT, default_country="IT", password=PASSWORD
    )
    return created.account


@pytest.fixture
async def visitor(gateway: Gateway) -> AsyncIterator[Visitor]:
    async with http_client(gateway.api_context()) as http:
        yield Visitor(http)
