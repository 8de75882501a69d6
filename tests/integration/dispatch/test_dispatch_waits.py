"""The dispatcher holds messages while their upstream has no bind, on every store: they
stay queued, spend no attempt, and do not stand in the way of other messages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Hashable
from typing import Any

from smsgate.core.messages import Message, Status
from smsgate.services.counters import Counters
from smsgate.services.dispatch import Dispatcher
from smsgate.services.ports import Store, Upstream
from tests.integration.dispatch.operators import Operator, one_round
from tests.integration.store.scenario import NOW, funded, queued_messages, state, submission


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
