"""Recording a send while the store fails (a lost database connection): the dispatcher
tries again after each pause of RECORD_RETRIES, so a message sent once is recorded once;
when every try fails it stays `sending` for the housekeeper."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from smsgate.core.messages import Status
from smsgate.services import dispatch
from smsgate.services.counters import Counters
from smsgate.services.dispatch import Dispatcher
from smsgate.services.ports import SendOutcome
from smsgate.store.memory import MemoryStore
from tests.integration.dispatch.operators import Operator, one_round
from tests.integration.store.scenario import NOW, funded, submission
from tests.unit.services.fixed import FixedClock
from tests.unit.services.test_dispatcher import OneRoute

PART = 10_000


class FailingRecords(MemoryStore):
    """A memory store whose first `failures` calls of record_sends raise."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.calls = 0

    async def record_sends(self, outcomes: Sequence[SendOutcome], now: float) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("connection to the database lost")
        await super().record_sends(outcomes, now)


async def sent_through(store: FailingRecords) -> tuple[Operator, Status, Counters]:
    operator = Operator()
    stats = Counters()
    dispatcher = Dispatcher(store, OneRoute(operator), FixedClock(NOW + 1), stats)
    alice = await funded(store, "alice", 100 * PART)
    (message,) = (await store.accept(submission(alice, cost=PART))).messages
    assert await one_round(dispatcher) == 1
    found = await store.message(message.id)
    assert found is not None
    return operator, found.status, stats


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatch, "RECORD_RETRIES", (0.0, 0.0, 0.0))


async def test_a_send_is_recorded_once_the_store_answers_again() -> None:
    store = FailingRecords(failures=3)
    operator, status, stats = await sent_through(store)
    assert (status, len(operator.submitted), store.calls, stats.sent) == (Status.SENT, 1, 4, 1)


async def test_a_send_never_recorded_stays_sending_for_the_housekeeper() -> None:
    store = FailingRecords(failures=4)
    operator, status, stats = await sent_through(store)
    assert (status, len(operator.submitted), store.calls, stats.sent) == (Status.SENDING, 1, 4, 0)
