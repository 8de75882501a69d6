"""A gateway over a real store (memory and SQLite), driven through httpx's ASGI transport.

Every test that uses `gw` runs once per backend. `gw.snapshot()` captures what a
rejected request must leave unchanged: messages, ledger entries and balances.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from smsgate.api.context import ApiContext
from smsgate.api.http import build_app
from smsgate.core.accounts import Account
from smsgate.core.messages import Message
from smsgate.core.money import parse_amount
from smsgate.services.account_policy import AccountPolicies, AccountPolicyStore
from smsgate.services.accounts import AccountService
from smsgate.services.catalog import Catalog
from smsgate.services.clock import SystemClock, TimeOrderedIds
from smsgate.services.conversations import ConversationService
from smsgate.services.counters import Counters
from smsgate.services.credentials import Authenticator
from smsgate.services.inbound import InboundService, InboundStore
from smsgate.services.inbound_numbers import NumberService
from smsgate.services.inbound_plan import InboundSettingsService
from smsgate.services.messages import MessageService
from smsgate.services.ports import MessageQuery, Store
from smsgate.services.statistics import StatisticsService, StatisticsStore
from smsgate.services.stoplist import StopListService, StopListStore
from smsgate.services.submit import SubmitService
from smsgate.store import open_store
from tests.e2e.gateway import postgres_database

PRICE = 50_000  # 0.05 per part
PASSWORD = "alice-secret"


@dataclass(frozen=True)
class Snapshot:
    messages: tuple[str, ...]
    ledger: tuple[int, ...]
    balances: tuple[int, ...]


@dataclass
class Gateway:
    store: Store
    accounts: AccountService
    http: httpx.AsyncClient
    alice: Account
    alice_key: str

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.alice_key}"}

    async def new_account(
        self, name: str, credit: str = "10.00", *, parent: Account | None = None
    ) -> tuple[Account, str]:
        created = await self.accounts.create(
            name, parent=parent, credit=parse_amount(credit), default_country="IT"
        )
        return created.account, created.api_key

    async def balance(self, account: Account | None = None) -> int:
        found = await self.store.account((account or self.alice).id)
        assert found is not None
        return found.balance

    async def messages(self, account: Account | None = None) -> list[Message]:
        return await self.store.messages((account or self.alice).id, MessageQuery(limit=10_000))

    async def snapshot(self) -> Snapshot:
        accounts = await self.store.accounts()
        messages: list[str] = []
        ledger: list[int] = []
        for account in accounts:
            messages += [m.id for m in await self.messages(account)]
            ledger += [
                e.id for e in await self.store.ledger(account.id, limit=10_000, before_id=None)
            ]
        return Snapshot(
            tuple(sorted(messages)), tuple(sorted(ledger)), tuple(a.balance for a in accounts)
        )


async def _depth() -> int:
    return 0


async def _healthy() -> bool:
    return True


async def _nothing_held() -> dict[str, int]:
    return {}


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'smsgate.db'}"
    opened = await open_store(url)
    try:
        yield opened
    finally:
        await opened.close()


async def make_gateway(
    store: Store, *, default_price: int | None = PRICE, max_body_bytes: int = 1_048_576
) -> Gateway:
    clock, ids = SystemClock(), TimeOrderedIds()
    catalog = Catalog(store, clock)
    auth = Authenticator(store, clock)
    accounts = AccountService(store, catalog, auth, clock)
    assert isinstance(store, AccountPolicyStore)
    policies = AccountPolicies(store, clock)
    assert isinstance(store, StopListStore)
    stop_list = StopListService(store, clock)
    assert isinstance(store, InboundStore)
    assert isinstance(store, StatisticsStore)
    ctx = ApiContext(
        auth=auth,
        policies=policies,
        submit=SubmitService(store, catalog, clock, ids, policies=policies, stop_list=stop_list),
        messages=MessageService(store, clock),
        accounts=accounts,
        stop_list=stop_list,
        inbound=(inbound := InboundService(store, clock)),
        conversations=ConversationService(store, inbound),
        numbers=NumberService(store, clock),
        inbound_settings=InboundSettingsService(store, clock),
        statistics=StatisticsService(store),
        stats=Counters(),
        queue_depth=store.queue_depth,
        held_messages=_nothing_held,
        health=_healthy,
        max_body_bytes=max_body_bytes,
    )
    if default_price is not None:
        await accounts.set_price(None, "*", default_price)
    # No password here: scrypt costs ~70 ms, so only the tests of Basic auth set one.
    created = await accounts.create("alice", credit=10_000_000, default_country="IT")
    transport = httpx.ASGITransport(build_app(ctx))
    http = httpx.AsyncClient(transport=transport, base_url="http://test")
    return Gateway(store, accounts, http, created.account, created.api_key)


@pytest.fixture
async def gw(store: Store) -> AsyncIterator[Gateway]:
    gateway = await make_gateway(store)
    async with gateway.http:
        yield gateway


# `database_url` of a test that opens the real gateway: its SQLite file ("") or a fresh
# PostgreSQL database.
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "sqlite":
        yield ""
        return
    with postgres_database(str(request.getfixturevalue("postgres_url"))) as url:
        yield url
