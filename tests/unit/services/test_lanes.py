"""The dispatcher's lanes on the memory store: a window per upstream, outcomes recorded per
lane as they finish, and a full lane's messages held in the queue until it has room."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Hashable, Sequence
from typing import Any

import pytest

from smsgate.core.messages import Message, Status
from smsgate.services.counters import Counters
from smsgate.services.dispatch import Dispatcher
from smsgate.services.ports import ReceiptSink, SendOutcome, Upstream, UpstreamPart, UpstreamResult
from smsgate.store.memory import MemoryStore
from tests.integration.store.scenario import NOW, funded, submission

pytestmark = pytest.mark.timeout(30)


class Operator:
    """Accepts every message; while `gate` is closed, a submit waits for it to open."""

    def __init__(self, name: str, window: int) -> None:
        self.name = name
        self.window = window
        self.gate = asyncio.Event()
        self.gate.set()
        self.in_flight = 0
        self.most_in_flight = 0
        self.submitted: list[str] = []

    def ready(self) -> bool:
        return True

    async def start(self, sink: ReceiptSink) -> None:
        return None

    async def submit(self, message: Message) -> UpstreamResult:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.gate.wait()
        finally:
            self.in_flight -= 1
        self.submitted.append(message.id)
        return UpstreamResult(True, False, (UpstreamPart(1, f"up-{message.id}", None),), None)

    async def close(self) -> None:
        return None


class ByAccount:
    """Routes each account's messages to its own operator."""

    def __init__(self, operators: dict[int, Operator]) -> None:
        self.operators = operators

    def __call__(self, message: Message) -> Upstream | None:
        return self.operators[message.account_id]

    def all_ready(self) -> bool:
        return True

    def upstreams(self) -> Collection[Upstream]:
        return list(self.operators.values())

    def state(self) -> Hashable:
        return ()


class Clock:
    def now(self) -> float:
        return NOW + 1


class Recording(MemoryStore):
    """A memory store that keeps the outcomes of each record_sends call."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[list[str]] = []

    async def record_sends(self, outcomes: Sequence[SendOutcome], now: float) -> None:
        self.records.append([o.message_id for o in outcomes])
        await super().record_sends(outcomes, now)


@pytest.fixture
async def store() -> AsyncIterator[Recording]:
    opened = Recording()
    yield opened
    await opened.close()


async def queued(store: MemoryStore, name: str, count: int) -> tuple[int, list[str]]:
    account = await funded(store, name, 1_000)
    accepted = await store.accept(submission(account, recipients=count))
    return account.id, sorted(m.id for m in accepted.messages)


async def statuses(store: MemoryStore, ids: list[str]) -> list[tuple[Status, int]]:
    found = [await store.message(i) for i in ids]
    return [(m.status, m.attempts) for m in found if m is not None]


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(10):
        while not await check():
            await asyncio.sleep(0.005)


@contextlib.asynccontextmanager
async def running(dispatcher: Dispatcher) -> AsyncIterator[asyncio.Task[Any]]:
    task = asyncio.create_task(dispatcher.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_full_lane_holds_its_messages_and_the_other_lane_goes_on(
    store: Recording,
) -> None:
    slow, fast = Operator("slow", window=3), Operator("fast", window=100)
    slow.gate.clear()
    slow_account, slow_ids = await queued(store, "slowco", 10)
    fast_account, fast_ids = await queued(store, "fastco", 10)
    routes = ByAccount({slow_account: slow, fast_account: fast})
    dispatcher = Dispatcher(store, routes, Clock(), Counters(), batch_size=50, idle_poll=0.05)
    async with running(dispatcher):

        async def fast_sent() -> bool:
            return await statuses(store, fast_ids) == [(Status.SENT, 1)] * 10

        await until(fast_sent)
        assert slow.in_flight == 3 and slow.submitted == []
        # The rest wait in the queue, held for the full lane, without spending an attempt.
        assert sorted(await statuses(store, slow_ids)) == sorted(
            [(Status.SENDING, 1)] * 3 + [(Status.QUEUED, 0)] * 7
        )
        assert await store.held_messages() == {"slow": 7}

        slow.gate.set()  # the operator answers again: the lane drains through its window

        async def slow_sent() -> bool:
            return await statuses(store, slow_ids) == [(Status.SENT, 1)] * 10

        await until(slow_sent)
    assert slow.most_in_flight == 3
    assert await store.held_messages() == {}


async def test_outcomes_that_end_together_are_recorded_in_one_transaction(
    store: Recording,
) -> None:
    operator = Operator("op", window=100)
    account, ids = await queued(store, "acme", 40)
    dispatcher = Dispatcher(store, ByAccount({account: operator}), Clock(), Counters())
    assert await dispatcher.dispatch_once() == 40
    await dispatcher.drain()
    assert store.records == [ids]


async def test_a_stopped_dispatcher_leaves_a_send_in_flight_to_recovery(
    store: Recording,
) -> None:
    operator = Operator("op", window=10)
    operator.gate.clear()
    account, ids = await queued(store, "acme", 2)
    dispatcher = Dispatcher(store, ByAccount({account: operator}), Clock(), Counters())
    async with running(dispatcher):
        await until(lambda: asyncio.sleep(0, operator.in_flight == 2))
    assert operator.in_flight == 0  # the submits were cancelled with the dispatcher
    assert await statuses(store, ids) == [(Status.SENDING, 1)] * 2
    assert await store.recover_sending(NOW + 2) == 2
    assert store.records == []
