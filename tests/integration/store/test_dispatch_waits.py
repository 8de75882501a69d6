"""The dispatcher leaves messages queued while their upstream has no bind, on every store."""

from __future__ import annotations

from smsgate.core.messages import Message, Status
from smsgate.services.dispatch import WAITING, Dispatcher
from smsgate.services.ports import ReceiptSink, Store, UpstreamPart, UpstreamResult
from smsgate.services.stats import Stats
from tests.integration.store.scenario import NOW, funded, submission


class Operator:
    """An upstream that is bound or not, and accepts whatever it is given when bound."""

    def __init__(self, name: str, *, bound: bool) -> None:
        self.name = name
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
    """Routes the messages in `down` to one operator and the rest to the other."""

    def __init__(self, up: Operator, down: Operator, to_down: set[str]) -> None:
        self.up, self.down, self.to_down = up, down, to_down

    def __call__(self, message: Message) -> Operator:
        return self.down if message.id in self.to_down else self.up

    def all_ready(self) -> bool:
        return self.up.ready() and self.down.ready()


class Clock:
    def now(self) -> float:
        return NOW + 1


async def queued_messages(store: Store, count: int) -> list[str]:
    account = await funded(store, "alice", 1_000)
    accepted = await store.accept(submission(account, recipients=count))
    return [m.id for m in accepted.messages]


async def state(store: Store, message_id: str) -> tuple[Status, int]:
    message = await store.message(message_id)
    assert message is not None
    return message.status, message.attempts


async def test_a_backlog_waits_for_its_operator_without_spending_attempts(store: Store) -> None:
    ids = await queued_messages(store, 3)
    operator = Operator("op", bound=False)
    dispatcher = Dispatcher(store, Routes(operator, operator, set()), Clock(), Stats())

    for _ in range(3):
        assert await dispatcher.dispatch_once() == WAITING
    assert [await state(store, i) for i in ids] == [(Status.QUEUED, 0)] * 3

    operator.bound = True
    assert await dispatcher.dispatch_once() == 3
    assert sorted(operator.submitted) == sorted(ids)
    assert [await state(store, i) for i in ids] == [(Status.SENT, 1)] * 3


async def test_only_the_messages_of_an_unbound_operator_wait(store: Store) -> None:
    ids = await queued_messages(store, 4)
    up, down = Operator("up", bound=True), Operator("down", bound=False)
    to_down = set(ids[::2])
    dispatcher = Dispatcher(store, Routes(up, down, to_down), Clock(), Stats())

    assert await dispatcher.dispatch_once() == 4
    assert sorted(up.submitted) == sorted(set(ids) - to_down)
    for message_id in ids:
        expected = (Status.QUEUED, 0) if message_id in to_down else (Status.SENT, 1)
        assert await state(store, message_id) == expected


async def test_a_claim_leaves_what_it_does_not_keep_untouched(store: Store) -> None:
    ids = await queued_messages(store, 3)
    seen: list[Status] = []

    def keep(message: Message) -> bool:
        seen.append(message.status)
        return message.id == ids[1]

    (claimed,) = await store.claim(NOW + 1, 10, keep)
    assert claimed.id == ids[1] and claimed.status is Status.SENDING
    assert len(seen) == 3
    assert [await state(store, i) for i in ids] == [
        (Status.QUEUED, 0),
        (Status.SENDING, 1),
        (Status.QUEUED, 0),
    ]
