"""The SMSC dialect's test gateway: the real composition root on a real SQLite file.

alice (10.00 EUR, password known) may send anywhere at 0.05 a part; `calls` records
every request so that golden files can show the request next to its answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from smsgate.api.compat.smsc.routes import SmscApi
from smsgate.api.compat.smsc.tables import LoginGuard
from smsgate.core.accounts import Account
from smsgate.services.credentials import Authenticator
from smsgate.services.lockout import Lockout, LockoutPolicy
from tests.integration.compat.dialect_harness import DialectGateway
from tests.integration.gateway import http_client, open_gateway

PRICE = 50_000
ALICE_CREDIT = 10_000_000
PASSWORD = "alice-secret-1"


class Clock:
    """The clock of the guard and the lockout, moved by the test."""

    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at

    def now(self) -> float:
        return self.at


@dataclass
class Smsc(DialectGateway):
    guard: LoginGuard
    lockout: Lockout
    clock: Clock
    api: SmscApi
    auth: dict[str, str] = field(default_factory=lambda: {"login": "alice", "psw": PASSWORD})

    async def call(
        self, endpoint: str, method: str = "GET", *, auth: bool = True, **params: str
    ) -> httpx.Response:
        return await self.request(endpoint, method, {**(self.auth if auth else {}), **params})

    async def request(self, endpoint: str, method: str, values: dict[str, str]) -> httpx.Response:
        if method == "GET":
            return await self.http.get(f"/sys/{endpoint}.php", params=values)
        return await self.http.post(f"/sys/{endpoint}.php", data=values)

    async def text(self, endpoint: str, **params: str) -> str:
        response = await self.request(endpoint, "GET", {**self.auth, **params})
        assert response.status_code == 200
        return response.text

    async def own_rows(self, account: Account) -> list[tuple[int, str]]:
        return [(s.account_id, s.sender) for s in await self.gateway.senders.list(account)]


@asynccontextmanager
async def smsc_gateway(data_dir: Path) -> AsyncIterator[Smsc]:
    async with open_gateway(data_dir) as gateway:
        accounts = gateway.accounts
        await accounts.set_price(None, "*", PRICE)
        alice = await accounts.create(
            "alice", credit=ALICE_CREDIT, password=PASSWORD, default_country="RU"
        )
        clock = Clock()
        guard = LoginGuard(now=clock)
        lockout = Lockout(gateway.store, clock, LockoutPolicy())
        services = dataclasses.replace(
            gateway.dialect_services(),
            auth=Authenticator(gateway.store, gateway.clock, lockout=lockout),
        )
        api = SmscApi(services, guard=guard)
        context = dataclasses.replace(gateway.api_context(), extra_routes=api.routes())
        async with http_client(context) as http:
            refreshed = await accounts.get("alice")
            yield Smsc(gateway, http, refreshed, alice.api_key, guard, lockout, clock, api)
