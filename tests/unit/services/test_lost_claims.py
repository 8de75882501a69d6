"""A claim whose COMMIT was lost may have committed without the dispatcher knowing what
it took: before the next claim those messages are queued again, then sent once. And a
node's lease renewal retries quickly while the store fails, reporting itself unsteady."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from smsgate.core.messages import Message, Status
from smsgate.services import nodes
from smsgate.services.counters import Counters
from smsgate.services.dispatch import Dispatcher
from smsgate.services.nodes import NodeService
from smsgate.store.memory import MemoryStore
from tests.integration.dispatch.operators import Operator, one_round
from tests.integration.store.scenario import NOW, funded, submission
from tests.unit.services.fixed import FixedClock
from tests.unit.services.test_dispatcher import OneRoute


class CommitLost(MemoryStore):
    """A memory store whose first claim commits, then raises as if its COMMIT was lost."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    async def claim(
        self,
        now: float,
        limit: int,
        hold: Callable[[Message], str | None] | None = None,
        node: str | None = None,
    ) -> list[Message]:
        claimed = await super().claim(now, limit, hold, node)
        if not self.lost:
            self.lost = len(claimed)
            raise ConnectionError("connection lost during COMMIT")
        return claimed


async def test_what_a_lost_claim_took_is_queued_again_and_sent_once() -> None:
    store = CommitLost()
    operator = Operator()
    clock = FixedClock(NOW + 1)  # every round at the same time: claims still apart
    dispatcher = Dispatcher(store, OneRoute(operator), clock, Counters(), node="n1")
    alice = await funded(store, "alice", 100)
    accepted = (await store.accept(submission(alice, recipients=3))).messages
    with pytest.raises(ConnectionError):
        await dispatcher.dispatch_once()
    assert store.lost == 3
    stored = [await store.message(m.id) for m in accepted]
    assert [m.status for m in stored if m is not None] == [Status.SENDING] * 3
    assert await one_round(dispatcher) == 3
    assert sorted(operator.submitted) == sorted(m.id for m in accepted)
    for message in accepted:
        found = await store.message(message.id)
        assert found is not None and (found.status, found.attempts) == (Status.SENT, 1)


class Flaky(MemoryStore):
    """A memory store whose lease renewals fail while `down` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.renewals = 0

    async def renew_node(self, node_id: str, pid: int, lease: float) -> bool:
        self.renewals += 1
        if self.down:
            raise ConnectionError("database closed")
        return await super().renew_node(node_id, pid, lease)


async def test_a_failed_renewal_is_tried_again_soon_and_makes_the_node_unsteady(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(nodes, "RENEW_RETRY", 0.05)
    store = Flaky()
    node = NodeService(store, "n1", lease=3.0)  # renews every second while it works
    await node.register()
    assert node.steady(60.0)  # no renewal ever failed
    store.down = True
    running = asyncio.create_task(node.run())
    try:
        async with asyncio.timeout(10):
            while store.renewals < 4:  # the first after a second, then every 0.05 s
                await asyncio.sleep(0.01)
        assert not node.steady(1.0)
        store.down = False
        renewals = store.renewals
        async with asyncio.timeout(10):
            while store.renewals == renewals or not node.steady(0.2):
                await asyncio.sleep(0.01)
        assert not node.steady(60.0)
    finally:
        running.cancel()
