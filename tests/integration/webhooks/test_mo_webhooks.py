"""MO webhooks over every store and real loopback HTTP: each shape's POST, signed; Agile
Telecom's receiver ends a POST only with `+OK`; one sender's MO stay in order while its
receiver fails, and a receiver that answers 500 or hangs holds up only its own MO."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs

import pytest

from smsgate.services.inbound import InboundMessage, InboundStore
from smsgate.services.inbound_numbers import AGILETELECOM, NATIVE, SMSPARTNER
from smsgate.services.inbound_plan import SMSPARTNER_REPLY, MoEffects, MoTarget
from smsgate.services.mo_webhooks import MoOutboxStore
from smsgate.services.ports import Store
from smsgate.webhooks.sender import MoQueue, WebhookSender
from smsgate.webhooks.signing import HEADER, verify
from tests.integration.store.scenario import funded
from tests.integration.webhooks.receiving import LoopbackReceiver, serving

pytestmark = pytest.mark.timeout(30)

SECRET = "s3cret"
RECEIVED_AT = 1_767_225_600.25  # 2026-01-01 00:00:00.250 UTC


class Clock:
    def __init__(self) -> None:
        self.at = RECEIVED_AT + 10

    def now(self) -> float:
        return self.at


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver(LoopbackReceiver):
    """Answers each path with its scripted answers in turn (the last one again and again;
    204 when it has none); a path in `hang` never answers. Keeps every POST."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[str, list[bytes]] = {}
        self.hang: set[str] = set()
        self.posts: list[Post] = []

    def bodies(self, path: str) -> list[bytes]:
        return [post.body for post in self.posts if post.path == path]

    async def answer(
        self, path: str, headers: dict[str, str], body: bytes, writer: asyncio.StreamWriter
    ) -> None:
        self.posts.append(Post(path, headers, body))
        if path in self.hang:
            await asyncio.sleep(3600)
        script = self.answers.get(path, [])
        answer = script.pop(0) if len(script) > 1 else script[0] if script else b""
        if not answer.startswith(b"HTTP/"):
            answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer)
        writer.write(answer)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with serving(Receiver()) as found:
        yield found


async def add_mo(
    store: Store,
    target: MoTarget,
    text: str,
    source: str = "393331234567",
    destination: str = "3000",
    keyword: str | None = None,
) -> int:
    assert isinstance(store, InboundStore)
    account = await store.account_by_name("alice") or await funded(store, "alice")
    mo = InboundMessage(
        "sim", source, destination, text, "gsm7", 1, RECEIVED_AT, account.id, keyword
    )
    return await store.add_inbound(mo, MoEffects(webhooks=(target,)))


def outbox(store: Store) -> MoOutboxStore:
    assert isinstance(store, MoOutboxStore)
    return store


def sender(store: Store, clock: Clock, *, round_wait: float = 1.0) -> WebhookSender:
    queue = MoQueue(outbox(store))
    return WebhookSender(queue, clock, SECRET, base_delay=5.0, round_wait=round_wait)


async def pending(store: Store, at: float) -> list[str]:
    return [d.mo.text for d in await outbox(store).due_mo_webhooks(at, 100)]


async def test_each_shape_is_posted_signed_in_its_own_form(
    store: Store, receiver: Receiver
) -> None:
    ids = [
        await add_mo(
            store, MoTarget(receiver.url("/native"), NATIVE), "Info please", keyword="INFO"
        ),
        await add_mo(
            store,
            MoTarget(receiver.url("/agile"), AGILETELECOM),
            "Ciao è",
            "+393331234567",
            "+393330000001",
        ),
        await add_mo(
            store,
            MoTarget(receiver.url("/sp"), SMSPARTNER),
            "hello there",
            "33612345678",
            "33700000001",
        ),
        await add_mo(
            store,
            MoTarget(receiver.url("/reply"), SMSPARTNER_REPLY),
            "Stop",
            "33612345678",
            "36001",
        ),
    ]
    receiver.answers["/agile"] = [b"+OK"]
    clock = Clock()
    webhooks = sender(store, clock)
    client = webhooks.new_client()
    try:
        assert await webhooks.send_due(client) == 4
    finally:
        await client.close()
    assert await pending(store, clock.at + 10_000) == []
    posts = {post.path: post for post in receiver.posts}
    for post in posts.values():
        assert verify(SECRET, post.body, post.headers[HEADER.lower()], now=int(clock.at))
    assert posts["/native"].headers["content-type"] == "application/json"
    assert json.loads(posts["/native"].body) == {
        "event": "message.inbound",
        "id": ids[0],
        "from": "393331234567",
        "to": "3000",
        "text": "Info please",
        "encoding": "gsm7",
        "parts": 1,
        "keyword": "INFO",
        "received_at": "2026-01-01T00:00:00.250Z",
    }
    agile = posts["/agile"]
    assert agile.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(agile.body.decode(), strict_parsing=True) == {
        "originator": ["+393331234567"],
        "destination": ["+393330000001"],
        "date_time": ["20260101000000"],
        "text": ["Ciao è"],
    }
    assert json.loads(posts["/sp"].body) == {
        "msisdn": "33612345678",
        "to": "33700000001",
        "messageId": str(ids[2]),
        "text": "hello there",
        "type": "text",
        "keyword": "HELLO",
        "message-timestamp": "2026-01-01 00:00:00",
    }
    assert json.loads(posts["/reply"].body) == {
        "type": "stop",
        "phone_number": "+33612345678",
        "text": "Stop",
        "message_id": None,  # no send had this urlResponse: see the dialect's tests
    }


async def test_an_agile_receiver_ends_a_post_only_with_plus_ok(
    store: Store, receiver: Receiver
) -> None:
    receiver.answers["/agile"] = [b"KO", b" +OK\r\n"]
    await add_mo(store, MoTarget(receiver.url("/agile"), AGILETELECOM), "INFO")
    clock = Clock()
    webhooks = sender(store, clock)
    client = webhooks.new_client()
    try:
        assert await webhooks.send_due(client) == 1
        assert await pending(store, clock.at) == [], "retried later, with back-off"
        assert await pending(store, clock.at + 5) == ["INFO"]
        clock.at += 5
        assert await webhooks.send_due(client) == 1
        assert await webhooks.send_due(client) == 0
    finally:
        await client.close()
    assert len(receiver.bodies("/agile")) == 2
    assert receiver.bodies("/agile")[0] == receiver.bodies("/agile")[1]
    assert await pending(store, clock.at + 10_000) == []


async def test_one_sender_s_mo_stay_in_order_while_its_receiver_fails(
    store: Store, receiver: Receiver
) -> None:
    failing = b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"
    receiver.answers["/a"] = [failing, failing, b""]
    for n in (1, 2, 3):
        await add_mo(store, MoTarget(receiver.url("/a"), NATIVE), f"a{n}", source="393331111111")
        await add_mo(store, MoTarget(receiver.url("/b"), NATIVE), f"b{n}", source="393332222222")
    clock = Clock()
    webhooks = sender(store, clock)
    client = webhooks.new_client()
    try:
        for _ in range(4):
            await webhooks.send_due(client)
        texts = [json.loads(body)["text"] for body in receiver.bodies("/b")]
        assert texts == ["b1", "b2", "b3"], "another sender's MO are not held up"
        assert [json.loads(body)["text"] for body in receiver.bodies("/a")] == ["a1"]
        async with asyncio.timeout(10):
            while await pending(store, clock.at + 10_000):
                clock.at += 60
                await webhooks.send_due(client)
    finally:
        await client.close()
    texts = [json.loads(body)["text"] for body in receiver.bodies("/a")]
    assert texts == ["a1", "a1", "a1", "a2", "a3"]


@pytest.mark.parametrize("trouble", ["500", "hang"])
async def test_a_failing_or_hanging_receiver_holds_up_only_its_own_mo(
    store: Store, receiver: Receiver, trouble: str
) -> None:
    if trouble == "hang":
        receiver.hang.add("/bad")
    else:
        receiver.answers["/bad"] = [b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"]
    await add_mo(store, MoTarget(receiver.url("/bad"), NATIVE), "bad1")
    await add_mo(store, MoTarget(receiver.url("/bad"), NATIVE), "bad2")
    clock = Clock()
    webhooks = sender(store, clock, round_wait=0.1)
    client = webhooks.new_client()
    try:
        assert await webhooks.send_due(client) == 1
        for n in (1, 2):
            await add_mo(store, MoTarget(receiver.url("/good"), NATIVE), f"good{n}", "393337777777")
            await webhooks.send_due(client)
        texts = [json.loads(body)["text"] for body in receiver.bodies("/good")]
        assert texts == ["good1", "good2"]
        assert [json.loads(body)["text"] for body in receiver.bodies("/bad")] == ["bad1"]
        assert await pending(store, clock.at + 10_000) == ["bad1"]
    finally:
        await client.close()


async def test_a_row_of_an_unknown_shape_is_never_posted_and_ends_failed(
    store: Store, receiver: Receiver
) -> None:
    await add_mo(store, MoTarget(receiver.url("/x"), "carrier-pigeon"), "coo")
    clock = Clock()
    webhooks = WebhookSender(MoQueue(outbox(store)), clock, SECRET, max_attempts=2)
    client = webhooks.new_client()
    try:
        assert await webhooks.send_due(client) == 1
        clock.at += 10_000
        assert await webhooks.send_due(client) == 1
        assert await webhooks.send_due(client) == 0
    finally:
        await client.close()
    assert receiver.posts == []
    assert await pending(store, clock.at + 10_000) == []
