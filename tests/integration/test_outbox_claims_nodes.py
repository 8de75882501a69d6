"""Two gateway nodes on one PostgreSQL database, each with every role started and ports of
its own, share the outboxes: 100 messages with a callback_url reach a real HTTP receiver
in exactly 100 POSTs, as 100 MO do their webhook, and 100 receipts reach a customer
bound as a receiver to both nodes as 100 deliver_sm, one per message."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import smpplib.client
from sqlalchemy import text
from sqlalchemy.engine import Connection

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from smsgate.services.inbound import InboundMessage, InboundStore
from smsgate.services.inbound_numbers import NATIVE
from smsgate.services.inbound_plan import MoEffects, MoTarget
from smsgate.services.ports import NotificationAttempt
from smsgate.services.submit import SubmitCommand
from smsgate.store.sql import SqlStore
from smsgate.webhooks.sender import Outgoing, WebhookQueue
from tests.e2e.gateway import postgres_database
from tests.integration.gateway import open_gateway
from tests.integration.webhooks.receiving import LoopbackReceiver, serving

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]

MESSAGES = 100
PASSWORD = "s3cret-8"


@pytest.fixture
def shared_url(postgres_url: str) -> Iterator[str]:
    with postgres_database(postgres_url) as url:
        yield url


class Receiver(LoopbackReceiver):
    """Counts the POSTs of each message (or MO) id; answers 204 after a short while, so that a
    node's round takes long enough for the other node to claim too."""

    def __init__(self) -> None:
        super().__init__()
        self.posts: Counter[str] = Counter()

    async def answer(
        self, path: str, headers: dict[str, str], body: bytes, writer: asyncio.StreamWriter
    ) -> None:
        self.posts[str(json.loads(body)["id"])] += 1
        await asyncio.sleep(0.05)
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")


@dataclass
class Claims:
    """A node's webhook queue that remembers which rows this node claimed."""

    queue: WebhookQueue
    claimed: list[int]

    async def claim(self, now: float, limit: int) -> Sequence[Outgoing]:
        found = await self.queue.claim(now, limit)
        self.claimed += [o.id for o in found]
        return found

    async def record(self, attempts: Sequence[NotificationAttempt], now: float) -> None:
        await self.queue.record(attempts, now)

    async def release(self) -> None:
        await self.queue.release()


@dataclass
class Nodes:
    a: Gateway
    b: Gateway
    alice: Account

    async def send(self, **options: Any) -> None:
        # numbers the simulated operator delivers (not its test numbers, ...0001-0003)
        to = tuple(f"+3933312{n:03d}50" for n in range(MESSAGES))
        command = SubmitCommand(to=to, sender="ACME", text="hello", **options)
        await self.a.submit.submit(self.alice, command)

    async def count(self, sql: str) -> int:
        store = self.a.store
        assert isinstance(store, SqlStore)

        def scalar(conn: Connection) -> int:
            return int(conn.execute(text(sql)).scalar_one())

        return await store.connections.read(scalar)

    async def until(self, sql: str, expected: int) -> None:
        deadline = time.monotonic() + 90
        while (found := await self.count(sql)) != expected:
            assert time.monotonic() < deadline, f"{sql}: {found}, not {expected}"
            await asyncio.sleep(0.1)


@pytest.fixture
async def nodes(shared_url: str, tmp_path: Path) -> AsyncIterator[Nodes]:
    async with AsyncExitStack() as stack:
        options = {"database_url": shared_url, "simulator_delay_ms": 200}
        a = await stack.enter_async_context(open_gateway(tmp_path / "a", **options))
        b = await stack.enter_async_context(open_gateway(tmp_path / "b", **options))
        assert a.node.node_id != b.node.node_id
        created = await a.accounts.create(
            "alice", credit=10_000_000_000, password=PASSWORD, default_country="IT"
        )
        await a.accounts.set_price(None, "*", 1000)
        yield Nodes(a, b, created.account)


async def test_two_nodes_post_each_callback_once(nodes: Nodes) -> None:
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    for name, gateway in (("a", nodes.a), ("b", nodes.b)):
        gateway.webhooks.queue = Claims(gateway.webhooks.queue, claimed[name])
        gateway.webhooks.batch = 10  # rounds of 10: both nodes take part
    async with serving(Receiver()) as receiver:
        await nodes.a.start()
        await nodes.b.start()
        await nodes.send(callback_url=receiver.url("/hook"))
        await nodes.until("SELECT count(*) FROM outbox WHERE state = 'delivered'", MESSAGES)
        # every POST made is recorded as an attempt, a second one at a row too
        await nodes.until("SELECT count(*) FROM webhook_attempts", MESSAGES)
        assert len(receiver.posts) == MESSAGES
        assert sum(receiver.posts.values()) == MESSAGES, receiver.posts.most_common(3)
    assert len(claimed["a"] + claimed["b"]) == len(set(claimed["a"] + claimed["b"])) == MESSAGES
    assert claimed["a"] and claimed["b"], "one node sent everything"


async def test_two_nodes_post_each_mo_once(nodes: Nodes) -> None:
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    for name, gateway in (("a", nodes.a), ("b", nodes.b)):
        gateway.mo_webhooks.queue = Claims(gateway.mo_webhooks.queue, claimed[name])
        gateway.mo_webhooks.batch = 10
    store = nodes.a.store
    assert isinstance(store, InboundStore)
    async with serving(Receiver()) as receiver:
        await nodes.a.start()
        await nodes.b.start()
        target = MoTarget(receiver.url("/mo"), NATIVE)
        for n in range(MESSAGES):  # each from a sender of its own: none waits for another
            mo = InboundMessage(
                "simulator", f"+3933390{n:03d}50", "3000", "hi", "gsm7", 1, 1.0, nodes.alice.id
            )
            await store.add_inbound(mo, MoEffects(webhooks=(target,)))
        await nodes.until("SELECT count(*) FROM inbound_outbox WHERE state = 'delivered'", MESSAGES)
        assert len(receiver.posts) == MESSAGES
        assert sum(receiver.posts.values()) == MESSAGES, receiver.posts.most_common(3)
    assert len(claimed["a"] + claimed["b"]) == len(set(claimed["a"] + claimed["b"])) == MESSAGES
    assert claimed["a"] and claimed["b"], "one node sent everything"


class ReceiverBind(threading.Thread):
    """A customer's smpplib receiver bind, reading deliver_sm until `stop` is set."""

    def __init__(self, port: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.client = smpplib.client.Client(
            "127.0.0.1", port, timeout=5, allow_unknown_opt_params=True
        )
        self.received: list[str] = []
        self.error: BaseException | None = None
        self.stop = stop
        self.bound = threading.Event()
        self.client.set_message_received_handler(
            lambda pdu: self.received.append(pdu.receipted_message_id.decode())
        )

    def run(self) -> None:
        try:
            self.client.connect()
            self.client.bind_receiver(system_id="alice", password=PASSWORD)
            self.bound.set()
            while not self.stop.is_set():
                try:
                    self.client.read_once()
                except TimeoutError:  # nothing came: look at `stop` again
                    continue
            self.client.unbind()
        except BaseException as exc:
            self.error = exc
        finally:
            self.bound.set()
            self.client.disconnect()


async def test_two_nodes_deliver_each_smpp_receipt_once(nodes: Nodes) -> None:
    await nodes.a.start()
    await nodes.b.start()
    stop = threading.Event()
    binds = [ReceiverBind(g.smpp.port, stop) for g in (nodes.a, nodes.b)]
    for bind in binds:
        bind.start()
    try:
        for bind in binds:
            await asyncio.to_thread(bind.bound.wait, 60)
            assert bind.error is None, bind.error
        await nodes.send(registered_delivery=True)
        await nodes.until("SELECT count(*) FROM smpp_outbox WHERE state = 'delivered'", MESSAGES)
        deadline = time.monotonic() + 30
        while sum(len(b.received) for b in binds) < MESSAGES:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        for bind in binds:
            await asyncio.to_thread(bind.join, 30)
    assert [bind.error for bind in binds] == [None, None]
    received = [message_id for bind in binds for message_id in bind.received]
    assert len(received) == MESSAGES, Counter(received).most_common(3)
    assert len(set(received)) == MESSAGES
    assert await nodes.count("SELECT count(*) FROM smpp_outbox WHERE attempts <> 1") == 0
