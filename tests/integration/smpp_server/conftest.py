"""A real Gateway (SQLite in tmp_path, simulated operator) with its customer SMPP server.

Customers are independent ESMEs: smpplib (blocking, run in a thread through `Esme`)
and aiosmpplib. `snapshot()` captures what a refused request must leave unchanged.
"""

from __future__ import annotations

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
from smsgate.services.ports import MessageQuery
from smsgate.services.smpp_customers import SmppStore
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
