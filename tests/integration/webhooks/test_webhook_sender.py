"""WebhookSender over every store and real loopback HTTP: a batch is POSTed, signed, and
each outcome recorded (delivered, retried with back-off, given up)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from smsgate.core.messages import Status
from smsgate.services.nodes import NodeStore
from smsgate.services.ports import SendOutcome, Store
from smsgate.webhooks.client import WebhookClient
from smsgate.webhooks.sender import ReceiptQueue, WebhookSender
from smsgate.webhooks.signing import HEADER, verify
from tests.e2e.gateway import free_port
from tests.integration.store.scenario import NOW, funded, submission
from tests.integration.webhooks.receiving import LoopbackReceiver, serving

SECRET = "s3cret"


class Clock:
    def __init__(self) -> None:
        self.at = NOW + 10

    def now(self) -> float:
        return self.at


class Receiver(LoopbackReceiver):
    """Answers POST /ok with 204, /slow with 204 after `slow_for` seconds, anything else
    with 500; keeps what /ok received and counts what /slow did."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[tuple[bytes, str]] = []
        self.slow_for = 0.0
        self.slow_posts = 0

    async def answer(
        self, path: str, headers: dict[str, str], body: bytes, writer: asyncio.StreamWriter
    ) -> None:
        if path == "/ok":
            self.received.append((body, headers[HEADER.lower()]))
        elif path == "/slow":
            self.slow_posts += 1
            await asyncio.sleep(self.slow_for)
        else:
            writer.write(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n")
            return
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with serving(Receiver()) as found:
        yield found


async def final_messages(store: Store, urls: list[str]) -> list[str]:
    account = await store.account_by_name("alice") or await funded(store, "alice", 1_000)
    ids = []
    for url in urls:
        accepted = await store.accept(submission(account, callback_url=url))
        ids.append(accepted.messages[0].id)
    claimed = await store.claim(NOW + 1, len(urls))
    await store.record_sends(
        [SendOutcome(m.id, Status.FAILED, None, (), "no_route", 0, None) for m in claimed], NOW + 2
    )
    return ids


async def test_a_batch_is_posted_signed_and_every_outcome_recorded(
    store: Store, receiver: Receiver
) -> None:
    base = f"http://127.0.0.1:{receiver.port}"
    dead = f"http://127.0.0.1:{free_port()}/hook"
    ids = await final_messages(store, [f"{base}/ok", f"{base}/fail", dead])
    clock = Clock()
    sender = WebhookSender(ReceiptQueue(store), clock, SECRET, max_attempts=2, base_delay=5.0)
    client = WebhookClient(timeout=5.0)
    try:
        assert await sender.send_due(client) == 3
        ((body, signature),) = receiver.received
        assert verify(SECRET, body, signature, now=int(clock.at))
        payload = json.loads(body)
        assert (payload["id"], payload["status"], payload["error"]) == (
            ids[0],
            "failed",
            "no_route",
        )

        assert await store.due_notifications(clock.at + 4.9, 10) == []
        retried = await store.due_notifications(clock.at + 5, 10)
        assert sorted(n.message_id for n in retried) == sorted(ids[1:])
        assert all(n.attempts == 1 for n in retried)

        clock.at += 5
        assert await sender.send_due(client) == 2
        assert await store.due_notifications(clock.at + 10_000, 10) == [], "gave up after 2"
        assert len(receiver.received) == 1
    finally:
        await client.close()


async def test_connections_to_a_busy_receiver_are_reused_batch_after_batch(
    store: Store, receiver: Receiver
) -> None:
    url = f"http://127.0.0.1:{receiver.port}/ok"
    sender = WebhookSender(ReceiptQueue(store), Clock(), SECRET, concurrency=40)
    client = sender.new_client()
    try:
        await final_messages(store, [url] * 60)
        assert await sender.send_due(client) == 60
        opened = receiver.connections
        assert 1 <= opened <= 40
        await final_messages(store, [url] * 60)
        assert await sender.send_due(client) == 60
        assert len(receiver.received) == 120
        assert receiver.connections == opened
    finally:
        await client.close()


async def test_a_slow_receiver_holds_up_only_its_own_callbacks(
    store: Store, receiver: Receiver
) -> None:
    receiver.slow_for = 1.0
    base = f"http://127.0.0.1:{receiver.port}"
    slow_id, first_id = await final_messages(store, [f"{base}/slow", f"{base}/ok"])
    clock = Clock()
    sender = WebhookSender(ReceiptQueue(store), clock, SECRET, round_wait=0.1)
    client = sender.new_client()
    try:
        assert await sender.send_due(client) == 2
        assert len(receiver.received) == 1  # recorded while /slow is still answering
        pending = await store.due_notifications(clock.at, 10)
        assert [n.message_id for n in pending] == [slow_id]
        (later_id,) = await final_messages(store, [f"{base}/ok"])
        assert await sender.send_due(client) == 1  # the slow one is not POSTed again
        assert len(receiver.received) == 2 and receiver.slow_posts == 1
        assert json.loads(receiver.received[1][0])["id"] == later_id != first_id
        async with asyncio.timeout(5):
            while await store.due_notifications(clock.at, 10):
                assert await sender.send_due(client) == 0
                await asyncio.sleep(0.05)
        assert receiver.slow_posts == 1
    finally:
        await client.close()


async def test_a_post_in_flight_at_stop_is_made_again_later(
    store: Store, receiver: Receiver
) -> None:
    receiver.slow_for = 30.0
    (slow_id,) = await final_messages(store, [f"http://127.0.0.1:{receiver.port}/slow"])
    clock = Clock()
    running = asyncio.create_task(
        WebhookSender(ReceiptQueue(store), clock, SECRET, round_wait=0.1).run()
    )
    async with asyncio.timeout(5):
        while receiver.slow_posts == 0:
            await asyncio.sleep(0.01)
    running.cancel()
    async with asyncio.timeout(2):  # the POST in flight does not hold the stop up
        with pytest.raises(asyncio.CancelledError):
            await running
    assert [n.message_id for n in await store.due_notifications(clock.at, 10)] == [slow_id]


async def test_a_stopping_sender_releases_its_claims_at_once(
    store: Store, receiver: Receiver
) -> None:
    assert isinstance(store, NodeStore)
    await store.register_node("n1", "host", 101, 60.0)  # live: its claims are kept
    receiver.slow_for = 30.0
    (slow_id,) = await final_messages(store, [f"http://127.0.0.1:{receiver.port}/slow"])
    clock = Clock()
    sender = WebhookSender(ReceiptQueue(store, "n1"), clock, SECRET, round_wait=0.1)
    running = asyncio.create_task(sender.run())
    async with asyncio.timeout(5):
        while receiver.slow_posts == 0:
            await asyncio.sleep(0.01)
    assert await store.claim_notifications(clock.at, 10, "n2", 60.0) == []  # in flight
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    # another node takes it at once, without waiting for the claim's lease
    (again,) = await store.claim_notifications(clock.at, 10, "n2", 60.0)
    assert again.message_id == slow_id


async def test_a_starting_sender_takes_back_its_previous_life_s_claims(
    store: Store, receiver: Receiver
) -> None:
    assert isinstance(store, NodeStore)
    await store.register_node("n1", "host", 101, 60.0)
    ids = await final_messages(store, [f"http://127.0.0.1:{receiver.port}/ok"] * 2)
    clock = Clock()
    # n1 claimed them and died before it POSTed; it comes back under the same id
    assert len(await store.claim_notifications(clock.at, 10, "n1", 60.0)) == 2
    running = asyncio.create_task(
        WebhookSender(ReceiptQueue(store, "n1"), clock, SECRET, round_wait=0.1).run()
    )
    try:
        async with asyncio.timeout(10):
            while len(receiver.received) < 2:
                await asyncio.sleep(0.01)
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    assert sorted(json.loads(body)["id"] for body, _ in receiver.received) == sorted(ids)
