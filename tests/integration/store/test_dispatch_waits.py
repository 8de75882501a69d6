"""The dispatcher holds messages while their upstream has no bind, on every store: they
stay queued, spend no attempt, and do not stand in the way of other messages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Hashable
from typing import Any

from smsgate.core.messages import Message, Status
from smsgate.services.connectors import ConnectorStore
from smsgate.services.counters import Counters
from smsgate.services.dispatch import Dispatcher
from smsgate.services.ports import ReceiptSink, Store, Upstream, UpstreamPart, UpstreamResult
from tests.integration.store.scenario import NOW, funded, submission


class Operator:
    """An upstream that is bound or not, and accepts whatever it is given when bound."""

    def __init__(self, name: str, *, bound: bool) -> None:
        self.name = name
        self.window = 100
        self.bound = bound
        self.submitted: list[str] = []

    def ready(self) -> bool:
        return self.bound

    async def start(self, sink: ReceiptSink) -> None:
        return None

    async def submit(self, message: Message) -> UpstreamResult:
        assert self.bound, "a message was handed to an upstream that is not ready"
        self.submitted.append(message.id)
        return UpstreamResult(True, False, (UpstreamPart(1, f"up-{message.id}", None),), None)

    async def close(self) -> None:
        return None


class Routes:
    """Routes the messages in `to_down` to one operator and the rest to the other."""

    def __init__(self, up: Operator, down: Operator, to_down: set[str]) -> None:
        self.up, self.down, self.to_down = up, down, to_down

    def __call__(self, message: Message) -> Operator:
        return self.down if message.id in self.to_down else self.up

    def all_ready(self) -> bool:
        return self.up.ready() and self.down.ready()

    def upstreams(self) -> list[Upstream]:
        return [self.up, self.down]

    def state(self) -> Hashable:
        return self.up.ready(), self.down.ready()


class Clock:
    def now(self) -> float:
        return NOW + 1


async def one_round(dispatcher: Dispatcher) -> int:
    """A dispatch round, and the sends it started, to their recorded end."""
    handled = await dispatcher.dispatch_once()
    await dispatcher.drain()
    return handled


async def queued_messages(store: Store, count: int) -> list[str]:
    account = await funded(store, "alice", 1_000)
    accepted = await store.accept(submission(account, recipients=count))
    return sorted(m.id for m in accepted.messages)


async def state(store: Store, message_id: str) -> tuple[Status, int]:
    message = await store.message(message_id)
    assert message is not None
    return message.status, message.attempts


async def test_a_backlog_waits_for_its_operator_without_spending_attempts(store: Store) -> None:
    ids = await queued_messages(store, 3)
    operator = Operator("op", bound=False)
    dispatcher = Dispatcher(store, Routes(operator, operator, set()), Clock(), Counters())

    for _ in range(3):
        await one_round(dispatcher)
    assert [await state(store, i) for i in ids] == [(Status.QUEUED, 0)] * 3
    assert await store.claim(NOW + 1, 10) == []  # held: no claim sees them

    operator.bound = True
    assert await one_round(dispatcher) == 3
    assert sorted(operator.submitted) == ids
    assert [await state(store, i) for i in ids] == [(Status.SENT, 1)] * 3


async def test_only_the_messages_of_an_unbound_operator_wait(store: Store) -> None:
    ids = await queued_messages(store, 4)
    up, down = Operator("up", bound=True), Operator("down", bound=False)
    to_down = set(ids[::2])
    dispatcher = Dispatcher(store, Routes(up, down, to_down), Clock(), Counters())

    assert await one_round(dispatcher) == 4
    assert sorted(up.submitted) == sorted(set(ids) - to_down)
    for message_id in ids:
        expected = (Status.QUEUED, 0) if message_id in to_down else (Status.SENT, 1)
        assert await state(store, message_id) == expected


async def test_a_held_backlog_does_not_stand_in_the_way(store: Store) -> None:
    ids = await queued_messages(store, 7)
    up, down = Operator("up", bound=True), Operator("down", bound=False)
    to_down = set(ids[:5])  # the oldest five
    dispatcher = Dispatcher(store, Routes(up, down, to_down), Clock(), Counters(), batch_size=2)

    for _ in range(4):
        await one_round(dispatcher)
    assert sorted(up.submitted) == ids[5:]
    assert [await state(store, i) for i in ids[:5]] == [(Status.QUEUED, 0)] * 5


async def test_a_new_dispatcher_releases_what_an_earlier_one_held(store: Store) -> None:
    ids = await queued_messages(store, 2)
    operator = Operator("op", bound=False)
    routes = Routes(operator, operator, set())
    await one_round(Dispatcher(store, routes, Clock(), Counters()))
    operator.bound = True  # and the gateway restarted in the meantime

    assert await one_round(Dispatcher(store, routes, Clock(), Counters())) == 2
    assert sorted(operator.submitted) == ids


async def test_a_claim_holds_what_it_is_told_to_until_released(store: Store) -> None:
    ids = await queued_messages(store, 3)
    seen: list[Status] = []

    def hold(message: Message) -> str | None:
        seen.append(message.status)
        return None if message.id == ids[1] else "op"

    (claimed,) = await store.claim(NOW + 1, 10, hold)
    assert claimed.id == ids[1] and claimed.status is Status.SENDING
    assert len(seen) == 3
    assert [await state(store, i) for i in ids] == [
        (Status.QUEUED, 0),
        (Status.SENDING, 1),
        (Status.QUEUED, 0),
    ]
    assert await store.claim(NOW + 1, 10) == []
    assert isinstance(store, ConnectorStore)
    assert await store.held_messages() == {"op": 2}
    assert await store.release_held(1) == 1
    assert await store.release_held(10) == 1
    assert await store.release_held(10) == 0
    assert await store.held_messages() == {}
    assert [m.id for m in await store.claim(NOW + 1, 10)] == [ids[0], ids[2]]


async def test_a_held_message_past_its_validity_expires_and_is_refunded(store: Store) -> None:
    (message_id,) = await queued_messages(store, 1)
    account = await store.account_by_name("alice")
    assert account is not None
    before = account.balance
    assert await store.claim(NOW + 1, 10, lambda message: "op") == []
    message = await store.message(message_id)
    assert message is not None
    assert await store.expire(message.expires_at + 1, 10) == 1
    assert await state(store, message_id) == (Status.EXPIRED, 0)
    account = await store.account_by_name("alice")
    assert account is not None and account.balance == before + message.cost
    assert await store.release_held(10) == 0  # no longer held


async def test_messages_accepted_just_after_a_wake_go_out_in_its_round(store: Store) -> None:
    account = await funded(store, "alice", 1_000)
    operator = Operator("op", bound=True)
    rounds: list[list[str]] = []
    claim = store.claim

    async def counted_claim(*args: Any, **kwargs: Any) -> list[Message]:
        claimed = await claim(*args, **kwargs)
        if claimed:
            rounds.append([m.id for m in claimed])
        return claimed

    store.claim = counted_claim  # type: ignore[method-assign]
    dispatcher = Dispatcher(
        store, Routes(operator, operator, set()), Clock(), Counters(), gather=0.5
    )
    running = asyncio.create_task(dispatcher.run())
    try:
        await asyncio.sleep(0.05)  # an empty round; now parked on its wake event
        first = await store.accept(submission(account))
        dispatcher.wake()
        await asyncio.sleep(0.05)
        second = await store.accept(submission(account))
        dispatcher.wake()
        async with asyncio.timeout(5):
            while len(operator.submitted) < 2:
                await asyncio.sleep(0.01)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert rounds == [sorted([first.messages[0].id, second.messages[0].id])]


async def test_releasing_for_one_upstream_leaves_the_others_held(store: Store) -> None:
    ids = await queued_messages(store, 5)
    assert isinstance(store, ConnectorStore)
    assert await store.claim(NOW + 1, 10, lambda m: "a" if m.id in ids[:3] else "b") == []
    assert await store.release_held(2, "a") == 2
    assert await store.held_messages() == {"a": 1, "b": 2}
    assert await store.release_held(10, "a") == 1
    assert await store.held_messages() == {"b": 2}
    assert sorted(m.id for m in await store.claim(NOW + 1, 10)) == ids[:3]
