"""A real Gateway (SQLite in tmp_path, simulated operator) with its customer SMPP server;
`two_way`: one on SQLite or PostgreSQL with an upstream SMSC delivering MO to it.
Customers are independent ESMEs: smpplib (blocking, run in a thread through `Esme`)
and aiosmpplib. `snapshot()` captures what a refused request must leave unchanged.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import smpplib.client
import smpplib.consts

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from smsgate.core.messages import Message
from smsgate.services.inbound_plan import InboundSettings
from smsgate.services.ports import MessageQuery
from smsgate.services.smpp_customers import SmppOutboxItem, SmppStore
from smsgate.smpp.smsc_simulator import SmscSimulator
from tests.integration.api import conftest as api_fixtures
from tests.integration.gateway import open_gateway

BOUND = (
    smpplib.consts.SMPP_CLIENT_STATE_BOUND_TX,
    smpplib.consts.SMPP_CLIENT_STATE_BOUND_RX,
    smpplib.consts.SMPP_CLIENT_STATE_BOUND_TRX,
)
PRICE = 50_000
CREDIT = 10_000_000
PASSWORD = "alicepw1"  # SMPP passwords have at most 8 characters


@dataclass(frozen=True)
class Snapshot:
    messages: tuple[str, ...]
    balance: int


@dataclass
class Customer:
    gateway: Gateway
    account: Account

    @property
    def port(self) -> int:
        return self.gateway.smpp.port

    @property
    def store(self) -> SmppStore:
        store = self.gateway.store
        assert isinstance(store, SmppStore)
        return store

    async def balance(self) -> int:
        account = await self.gateway.store.account(self.account.id)
        assert account is not None
        return account.balance

    async def messages(self) -> list[Message]:
        return await self.gateway.store.messages(self.account.id, MessageQuery(limit=1000))

    async def snapshot(self) -> Snapshot:
        return Snapshot(tuple(m.id for m in await self.messages()), await self.balance())


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    async with open_gateway(tmp_path, simulator_delay_ms=50, housekeeping_interval=0.2) as gateway:
        gateway.smpp.delivery.poll_interval = 0.1
        await gateway.start()
        await gateway.accounts.set_price(None, "*", PRICE)
        yield gateway


@pytest.fixture
async def alice(gateway: Gateway) -> Customer:
    created = await gateway.accounts.create(
        "alice", credit=CREDIT, password=PASSWORD, default_country="IT"
    )
    return Customer(gateway, created.account)


class Esme:
    """A smpplib client that records what it sends and receives (use from a thread)."""

    def __init__(self, port: int) -> None:
        self.client = smpplib.client.Client(
            "127.0.0.1", port, timeout=5, allow_unknown_opt_params=True
        )
        self.sent: list[Any] = []
        self.received: list[Any] = []
        self.client.set_message_sent_handler(lambda pdu: self.sent.append(pdu))
        self.client.set_message_received_handler(lambda pdu: self.received.append(pdu))
        self.client.connect()

    def read_until(self, done: Callable[[], bool], seconds: float = 15.0) -> None:
        deadline = time.monotonic() + seconds
        while not done():
            assert time.monotonic() < deadline, "the gateway did not answer in time"
            self.client.read_once()

    def close(self) -> None:
        try:
            if self.client.state in BOUND:
                self.client.unbind()
        finally:
            self.client.disconnect()


# --- two-way SMS: an upstream SMSC delivering MO to a gateway on SQLite or PostgreSQL ---

PHONE = "393331234567"  # the handset MO come from, as the operator writes it
ALICE_NUMBER = "393330000001"  # alice's own long number
SHORT_CODE = "3000"  # shared: keyword PIZZA -> alice, the rest -> bob
# the gateway's database: its SQLite file ("") or a fresh PostgreSQL database
database_url = api_fixtures.database_url


@dataclass
class TwoWay:
    """A started gateway bound as ESME to `smsc`; MO to ALICE_NUMBER, or to SHORT_CODE
    starting with PIZZA, go to `alice` (SMPP binds on), the rest of SHORT_CODE to `bob`."""

    gateway: Gateway
    smsc: SmscSimulator
    alice: Customer
    bob: Account

    async def mo(self, to: str, body: bytes, **fields: Any) -> int:
        """Deliver an MO upstream from PHONE; the gateway's deliver_sm_resp status."""
        response = await self.smsc.inject_mo(PHONE, to, body, system_id="gw", **fields)
        return response.command_status

    async def smpp_long(self, long: str) -> None:
        settings = InboundSettings(self.alice.account.id, smpp=True, smpp_long=long)
        await self.gateway.inbound_settings.set(settings)

    async def pending(self) -> list[SmppOutboxItem]:
        return await self.alice.store.smpp_pending(self.alice.account.id, 1000)


@pytest.fixture
async def two_way(tmp_path: Path, database_url: str) -> AsyncIterator[TwoWay]:
    smsc = SmscSimulator("127.0.0.1", 0, credentials={"gw": "pw"})
    await smsc.start()
    settings: dict[str, Any] = {"database_url": database_url} if database_url else {}
    try:
        async with open_gateway(tmp_path, housekeeping_interval=0.2, **settings) as gateway:
            gateway.smpp.delivery.poll_interval = 0.1
            alice = await gateway.accounts.create(
                "alice", credit=CREDIT, password=PASSWORD, default_country="IT"
            )
            bob = await gateway.accounts.create("bob", default_country="IT")
            await gateway.numbers.add(ALICE_NUMBER, account=alice.account)
            await gateway.numbers.add(SHORT_CODE, default_account=bob.account)
            await gateway.numbers.add_keyword(SHORT_CODE, "PIZZA", alice.account)
            await gateway.inbound_settings.set(InboundSettings(alice.account.id, smpp=True))
            upstream = {"host": "127.0.0.1", "port": smsc.port, "system_id": "gw", "password": "pw"}
            await gateway.connectors.add("op", "smpp", upstream)
            await gateway.start()
            async with asyncio.timeout(20):
                while smsc.counters.binds < 1:
                    await asyncio.sleep(0.02)
            yield TwoWay(gateway, smsc, Customer(gateway, alice.account), bob.account)
    finally:
        await smsc.stop()


async def stop_aiosmpplib(esme: Any, runner: asyncio.Task[None]) -> None:
    """Stop an aiosmpplib ESME and its task. aiosmpplib 0.7 half-closes its socket
    (write_eof) and drops the writer: it is closed here, leaving no transport behind."""
    writer = esme._writer
    await esme.stop()
    await runner
    if writer is not None:
        writer.close()
        await writer.wait_closed()
