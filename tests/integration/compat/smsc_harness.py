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

from smsgate.api.compat.smsc import SmscApi, SmscServices
from smsgate.api.compat.smsc_tables import LoginGuard
from smsgate.api.http import build_app
from smsgate.app import Gateway
from smsgate.config import Settings
from smsgate.core.accounts import Account
from smsgate.core.messages import Message
from smsgate.services.credentials import Authenticator
from smsgate.services.lockout import Lockout, LockoutPolicy

PRICE = 50_000
ALICE_CREDIT = 10_000_000
PASSWORD = "alice-secret-1"


@dataclass(frozen=True)
class Snapshot:
    messages: tuple[tuple[str, str], ...]
    ledger: tuple[int, ...]
    accounts: tuple[tuple[str, int, str], ...]
    senders: tuple[tuple[int, str], ...]


class Clock:
    """The clock of the guard and the lockout, moved by the test."""

    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at

    def now(self) -> float:
        return self.at


@dataclass
class Smsc:
    gateway: Gateway
    http: httpx.AsyncClient
    alice: Account
    key: str
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

    async def messages(self, account: Account | None = None) -> list[Message]:
        return await self.gateway.store.messages(
            (account or self.alice).id,
            status=None,
            batch_id=None,
            since=None,
            limit=10_000,
            before_id=None,
        )

    async def balance(self, name: str = "alice") -> int:
        return (await self.gateway.accounts.get(name)).balance

    async def snapshot(self) -> Snapshot:
        store = self.gateway.store
        accounts = sorted(await store.accounts(), key=lambda a: a.id)
        messages: list[tuple[str, str]] = []
        ledger: list[int] = []
        senders: list[tuple[int, str]] = []
        for account in accounts:
            messages += [(m.id, m.status.value) for m in await self.messages(account)]
            ledger += [e.id for e in await store.ledger(account.id, limit=10_000, before_id=None)]
            senders += [(s.account_id, s.sender) for s in await self.gateway.senders.list(account)]
        return Snapshot(
            tuple(sorted(messages)),
            tuple(sorted(ledger)),
            tuple((a.name, a.balance, a.status.value) for a in accounts),
            tuple(sorted(senders)),
        )


@asynccontextmanager
async def smsc_gateway(data_dir: Path) -> AsyncIterator[Smsc]:
    settings = Settings(data_dir=str(data_dir), http_port=0, smpp_port=0, demo=False)
    gateway = await Gateway.open(settings)
    try:
        accounts = gateway.accounts
        await accounts.set_price(None, "*", PRICE)
        alice = await accounts.create(
            "alice", credit=ALICE_CREDIT, password=PASSWORD, default_country="RU"
        )
        clock = Clock()
        guard = LoginGuard(now=clock)
        lockout = Lockout(gateway.store, clock, LockoutPolicy())
        services = SmscServices(
            Authenticator(gateway.store, gateway.clock, lockout=lockout),
            gateway.submit,
            gateway.messages,
            gateway.accounts,
            gateway.statistics,
            gateway.senders,
            gateway.clock,
            gateway.policies,
        )
        api = SmscApi(services, guard=guard, max_body_bytes=settings.max_body_bytes)
        context = dataclasses.replace(gateway.api_context(), extra_routes=api.routes())
        transport = httpx.ASGITransport(build_app(context))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            refreshed = await accounts.get("alice")
            yield Smsc(gateway, http, refreshed, alice.api_key, guard, lockout, clock, api)
    finally:
        await gateway.close()
