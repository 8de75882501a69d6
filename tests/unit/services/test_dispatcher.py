"""Dispatcher rounds on the memory store with a fixed clock: what each upstream answer
leaves in the store (sent, retried with back-off, rejected with a refund, unroutable),
a message held while its upstream is not ready, and busy rounds that let the loop run."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Hashable

import pytest

from smsgate.core.accounts import Account
from smsgate.core.ledger import EntryKind
from smsgate.core.messages import Message, PartStatus, Status
from smsgate.services import dispatch
from smsgate.services.counters import Counters
from smsgate.services.dispatch import MAX_ATTEMPTS, Dispatcher, retry_delay
from smsgate.services.ports import Upstream, UpstreamPart, UpstreamResult
from smsgate.store.memory import MemoryStore
from tests.integration.dispatch.operators import Operator, one_round
from tests.integration.store.scenario import NOW, balance, funded, submission
from tests.unit.services.fixed import FixedClock, ledger

PART = 10_000


class Scripted(Operator):
    """Answers each submit with the next of `answers` (the last one over and over)."""

    def __init__(self, *answers: UpstreamResult | Exception, bound: bool = True) -> None:
        super().__init__("op", bound=bound)
        self.answers = list(answers)

    def answer(self, message: Message) -> UpstreamResult:
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


class OneRoute:
    """Every message goes to `upstream`; None means there is no route."""

    def __init__(self, upstream: Operator | None) -> None:
        self.upstream = upstream

    def __call__(self, message: Message) -> Upstream | None:
        return self.upstream

    def all_ready(self) -> bool:
        return self.upstream is None or self.upstream.ready()

    def upstreams(self) -> list[Upstream]:
        return [] if self.upstream is None else [self.upstream]

    def state(self) -> Hashable:
        return self.all_ready()


def accepted_all(parts: int) -> UpstreamResult:
    return UpstreamResult(
        True, False, tuple(UpstreamPart(n, f"u{n}", None) for n in range(1, parts + 1)), None
    )


THROTTLED = UpstreamResult(False, True, (), "throttled")


class Dispatching:
    """A dispatcher over a memory store, routing everything to `route`, at a fixed time."""

    def __init__(self, route: Operator | None) -> None:
        self.store = MemoryStore()
        self.clock = FixedClock(NOW + 1)
        self.stats = Counters()
        self.dispatcher = Dispatcher(self.store, OneRoute(route), self.clock, self.stats)

    async def queued(self, parts: int = 1) -> tuple[Account, Message]:
        alice = await self.store.account_by_name("alice") or await funded(
            self.store, "alice", 100 * PART
        )
        sub = submission(alice, cost=parts * PART, parts=parts)
        (message,) = (await self.store.accept(sub)).messages
        return alice, message

    async def round(self) -> int:
        return await one_round(self.dispatcher)

    async def now(self, message: Message) -> Message:
        found = await self.store.message(message.id)
        assert found is not None
        return found


async def test_an_accepted_message_is_sent_with_its_parts_upstream_ids() -> None:
    d = Dispatching(Scripted(accepted_all(2)))
    alice, message = await d.queued(parts=2)

    assert await d.round() == 1

    sent = await d.now(message)
    assert (sent.status, sent.attempts, sent.sent_at, sent.error) == (Status.SENT, 1, NOW + 1, None)
    parts = await d.store.parts(message.id)
    assert [(p.seq, p.status, p.upstream_id, p.connector) for p in parts] == [
        (1, PartStatus.SENT, "u1", "op"),
        (2, PartStatus.SENT, "u2", "op"),
    ]
    assert await balance(d.store, alice) == 100 * PART - 2 * PART
    assert d.stats.sent == 1
    assert await d.round() == 0, "sent once"


async def test_a_temporary_error_is_retried_after_a_growing_back_off() -> None:
    operator = Scripted(THROTTLED, THROTTLED, accepted_all(1))
    d = Dispatching(operator)
    alice, message = await d.queued()

    await d.round()
    first = await d.now(message)
    assert (first.status, first.attempts, first.error) == (Status.QUEUED, 1, "throttled")
    d.clock.at += retry_delay(1) - 0.5
    assert await d.round() == 0, "not before its back-off"
    d.clock.at += 0.5
    await d.round()
    assert (await d.now(message)).attempts == 2
    d.clock.at += retry_delay(2)
    await d.round()

    done = await d.now(message)
    assert (done.status, done.attempts) == (Status.SENT, 3)
    assert operator.submitted == [message.id] * 3
    assert (d.stats.retried, d.stats.sent) == (2, 1)
    assert await balance(d.store, alice) == 100 * PART - PART, "a retry costs nothing"


async def test_an_upstream_that_raises_is_a_temporary_error() -> None:
    d = Dispatching(Scripted(RuntimeError("bug")))
    _, message = await d.queued()
    await d.round()
    retried = await d.now(message)
    assert (retried.status, retried.error) == (Status.QUEUED, "upstream_error: bug")


async def test_the_last_temporary_error_fails_the_message_and_refunds_it() -> None:
    d = Dispatching(Scripted(THROTTLED))
    alice, message = await d.queued(parts=2)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        await d.round()
        d.clock.at += retry_delay(attempt)
    failed = await d.now(message)
    assert (failed.status, failed.attempts, failed.cost) == (Status.FAILED, MAX_ATTEMPTS, 0)
    assert await balance(d.store, alice) == 100 * PART


async def test_a_permanent_refusal_rejects_and_refunds_the_parts_never_accepted() -> None:
    refused = UpstreamResult(False, False, (UpstreamPart(1, "u1", None),), "ESME_RINVDSTADR")
    d = Dispatching(Scripted(refused))
    alice, message = await d.queued(parts=3)

    await d.round()

    rejected = await d.now(message)
    assert (rejected.status, rejected.error) == (Status.REJECTED, "ESME_RINVDSTADR")
    assert rejected.cost == PART, "it keeps the one part the operator took"
    parts = await d.store.parts(message.id)
    assert [(p.status, p.upstream_id) for p in parts] == [
        (PartStatus.SENT, "u1"),
        (PartStatus.REJECTED, None),
        (PartStatus.REJECTED, None),
    ]
    refund = (await ledger(d.store, alice))[-1]
    assert (refund.kind, refund.amount, refund.reference) == (
        EntryKind.REFUND,
        2 * PART,
        message.id,
    )
    assert await balance(d.store, alice) == 100 * PART - PART
    assert d.stats.final == {"rejected": 1}
    assert await d.round() == 0


async def test_a_message_without_a_route_fails_whole_and_is_refunded() -> None:
    d = Dispatching(None)
    alice, message = await d.queued(parts=2)

    assert await d.round() == 1

    failed = await d.now(message)
    assert (failed.status, failed.error, failed.cost) == (Status.FAILED, "no_route", 0)
    assert [p.error for p in await d.store.parts(message.id)] == ["no_route", "no_route"]
    assert await balance(d.store, alice) == 100 * PART
    assert d.stats.final == {"failed": 1}


async def test_a_message_is_held_while_its_upstream_is_not_ready() -> None:
    operator = Scripted(accepted_all(1), bound=False)
    d = Dispatching(operator)
    _, message = await d.queued()

    await d.round()
    await d.round()
    held = await d.now(message)
    assert (held.status, held.attempts) == (Status.QUEUED, 0)
    assert await d.store.held_messages() == {"op": 1}
    assert operator.submitted == []

    operator.bound = True
    await d.round()
    assert (await d.now(message)).status is Status.SENT
    assert await d.store.held_messages() == {}


async def test_rounds_back_to_back_let_the_loop_run_between_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Releasing held messages makes busy rounds that, on a store that never suspends
    # (memory, SQLite), would otherwise keep every other task of the loop waiting.
    monkeypatch.setattr(dispatch, "RELEASE_BATCH", 5)
    d = Dispatching(Scripted(accepted_all(1)))
    messages = [(await d.queued())[1] for _ in range(30)]
    # held for an upstream that has gone: the dispatcher's first round routes them again
    assert await d.store.claim(NOW + 1, 100, lambda message: "gone") == []
    assert await d.store.held_messages() == {"gone": 30}

    ticks = 0
    seen: list[int] = []  # the ticks at each round's release of held messages
    release_held = d.store.release_held

    async def counted(
        limit: int, upstream: str | None = None, *, exclude: Collection[str] = ()
    ) -> int:
        if upstream is None:  # the walk over every held message, a round each
            seen.append(ticks)
        return await release_held(limit, upstream, exclude=exclude)

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    monkeypatch.setattr(d.store, "release_held", counted)
    tasks = [asyncio.create_task(ticker()), asyncio.create_task(d.dispatcher.run())]
    try:
        async with asyncio.timeout(10):
            while [m for m in messages if (await d.now(m)).status is not Status.SENT]:
                await asyncio.sleep(0.01)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert len(seen) >= 6  # 30 held, 5 a round
    walk = seen[:6]
    assert walk == sorted(set(walk)), f"no other task ran between rounds: {walk}"


async def test_messages_held_for_an_upstream_that_binds_go_as_its_lane_has_room() -> None:
    operator = Scripted(accepted_all(1), bound=False)
    operator.window = 10
    d = Dispatching(operator)
    for _ in range(30):
        await d.queued()
    for _ in range(3):  # each round holds what the lane could take: 10
        await d.round()
    assert await d.store.held_messages() == {"op": 30}

    operator.bound = True
    await d.dispatcher.dispatch_once()  # released for the lane's room, not all at once
    assert await d.store.held_messages() == {"op": 20}
    await d.dispatcher.drain()
    while await d.store.held_messages():
        await d.round()
    assert len(operator.submitted) == 30
