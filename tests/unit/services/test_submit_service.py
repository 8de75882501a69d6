"""SubmitService's rules on the memory store with a fixed clock: pricing per part, all or
nothing on credit, the STOP list, the sender, replayed references and schedules."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from smsgate.core.accounts import Account
from smsgate.core.errors import (
    InsufficientCredit,
    InvalidRequest,
    InvalidSender,
    SmsgateError,
    StopListed,
)
from smsgate.core.ledger import EntryKind
from smsgate.core.messages import Message, Status
from smsgate.services.catalog import Catalog
from smsgate.services.ports import MessageQuery
from smsgate.services.stoplist import StopListService
from smsgate.services.submit import DEFAULT_VALIDITY, SubmitCommand, SubmitService
from smsgate.store.memory import MemoryStore
from tests.integration.store.scenario import NOW, balance, funded
from tests.unit.services.fixed import FixedClock, SequentialIds, ledger

IT_PRICE = 10_000
FR_PRICE = 30_000
IT, FR = "+393331234567", "+33612345678"
CREDIT = 100_000


@dataclass
class Submitting:
    """A SubmitService on a memory store with a STOP list; alice has CREDIT."""

    store: MemoryStore
    clock: FixedClock
    submit: SubmitService
    stop_list: StopListService
    alice: Account
    accepted: list[int] = field(default_factory=list)

    async def stored(self) -> list[Message]:
        return await self.store.messages(self.alice.id, MessageQuery(limit=100))


@pytest.fixture
async def s() -> Submitting:
    store, clock = MemoryStore(), FixedClock()
    await store.set_price(None, "39", IT_PRICE)
    await store.set_price(None, "33", FR_PRICE)
    stop_list = StopListService(store, clock)
    accepted: list[int] = []
    submit = SubmitService(
        store,
        Catalog(store, clock),
        clock,
        SequentialIds(),
        on_accepted=accepted.append,
        stop_list=stop_list,
    )
    alice = await funded(store, "alice", CREDIT)
    return Submitting(store, clock, submit, stop_list, alice, accepted)


def command(*to: str, text: str = "hello", **options: Any) -> SubmitCommand:
    return replace(SubmitCommand(to=to or (IT,), sender="smsgate", text=text), **options)


async def test_each_recipient_pays_its_parts_at_its_own_price(s: Submitting) -> None:
    accepted = await s.submit.submit(s.alice, command(IT, FR, text="a" * 161))

    assert not accepted.replayed
    assert [(m.to, m.parts, m.cost, m.status) for m in accepted.messages] == [
        (IT, 2, 2 * IT_PRICE, Status.QUEUED),
        (FR, 2, 2 * FR_PRICE, Status.QUEUED),
    ]
    (charge,) = [e for e in await ledger(s.store, s.alice) if e.kind is EntryKind.CHARGE]
    assert (charge.amount, charge.reference) == (-2 * (IT_PRICE + FR_PRICE), accepted.batch_id)
    assert await balance(s.store, s.alice) == CREDIT - 2 * (IT_PRICE + FR_PRICE)
    assert s.accepted == [2]


async def test_a_recipient_given_twice_is_sent_and_charged_once(s: Submitting) -> None:
    accepted = await s.submit.submit(s.alice, command(IT, "333 1234567"))
    assert [m.to for m in accepted.messages] == [IT]
    assert await balance(s.store, s.alice) == CREDIT - IT_PRICE


async def test_a_quote_stores_and_charges_nothing(s: Submitting) -> None:
    quote = await s.submit.quote(s.alice, command(IT, FR, text="a" * 161))
    assert (quote.parts, quote.cost, quote.currency) == (2, 2 * (IT_PRICE + FR_PRICE), "EUR")
    assert await s.stored() == []
    assert await balance(s.store, s.alice) == CREDIT


async def test_insufficient_credit_stores_and_charges_nothing(s: Submitting) -> None:
    # 11 recipients at 10_000 a part: one more than the credit pays for.
    many = tuple(f"+39333123{n:04d}" for n in range(11))
    with pytest.raises(InsufficientCredit):
        await s.submit.submit(s.alice, command(*many))

    assert await s.stored() == []
    assert await balance(s.store, s.alice) == CREDIT
    assert [e.kind for e in await ledger(s.store, s.alice)] == [EntryKind.TOPUP]
    assert s.accepted == []
    assert len((await s.submit.submit(s.alice, command(*many[:10]))).messages) == 10


async def test_a_number_on_the_stop_list_refuses_the_whole_request(s: Submitting) -> None:
    await s.stop_list.add(s.alice, "333 1234567")  # kept in E.164

    with pytest.raises(StopListed) as refused:
        await s.submit.submit(s.alice, command("+393471234567", IT))

    assert refused.value.field == "to" and IT in str(refused.value)
    assert await s.stored() == []
    assert await balance(s.store, s.alice) == CREDIT
    other = await funded(s.store, "bob", CREDIT)  # the list is alice's own
    assert len((await s.submit.submit(other, command(IT))).messages) == 1


@pytest.mark.parametrize("sender", ["", " padded", "twelve chars", "sender/slash", "1" * 17])
async def test_an_invalid_sender_is_refused_before_anything_is_stored(
    s: Submitting, sender: str
) -> None:
    with pytest.raises(InvalidSender):
        await s.submit.submit(s.alice, SubmitCommand(to=(IT,), sender=sender, text="hi"))
    assert await s.stored() == []
    assert await balance(s.store, s.alice) == CREDIT


@pytest.mark.parametrize("sender", ["Shop & Co", "+3912345678901234", "a" * 11])
async def test_the_longest_and_plainest_senders_are_taken(s: Submitting, sender: str) -> None:
    accepted = await s.submit.submit(s.alice, SubmitCommand(to=(IT,), sender=sender, text="hi"))
    assert accepted.messages[0].sender == sender


async def test_a_reference_seen_before_returns_the_original_and_charges_nothing(
    s: Submitting,
) -> None:
    first = await s.submit.submit(s.alice, command(IT, FR, reference="order-1"))
    s.clock.at += 60
    again = await s.submit.submit(s.alice, command(IT, reference="order-1", text="other"))

    assert again.replayed and again.batch_id == first.batch_id
    assert again.messages == first.messages
    assert await balance(s.store, s.alice) == CREDIT - IT_PRICE - FR_PRICE
    assert len(await s.stored()) == 2
    assert s.accepted == [2], "a replay wakes no dispatcher"
    other = await s.submit.submit(s.alice, command(IT, reference="order-2"))
    assert not other.replayed and other.batch_id != first.batch_id


async def test_a_scheduled_message_waits_for_its_time(s: Submitting) -> None:
    due = NOW + 3_600
    accepted = await s.submit.submit(s.alice, command(scheduled_at=due, validity=600))

    (message,) = accepted.messages
    assert (message.status, message.scheduled_at, message.expires_at) == (
        Status.SCHEDULED,
        due,
        due + 600,
    )
    assert await balance(s.store, s.alice) == CREDIT - IT_PRICE, "charged when accepted"
    assert await s.store.claim(due - 1, 10) == []
    assert [m.id for m in await s.store.claim(due, 10)] == [message.id]


async def test_a_schedule_in_the_past_means_now(s: Submitting) -> None:
    accepted = await s.submit.submit(s.alice, command(scheduled_at=NOW - 5))
    (message,) = accepted.messages
    assert (message.status, message.scheduled_at) == (Status.QUEUED, None)
    assert message.expires_at == NOW + DEFAULT_VALIDITY


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"scheduled_at": NOW + 367 * 86_400}, InvalidRequest),
        ({"validity": 59}, InvalidRequest),
        ({"callback_url": "ftp://example.com/"}, InvalidRequest),
        ({"text": ""}, InvalidRequest),
    ],
)
async def test_a_refused_option_stores_nothing(
    s: Submitting, options: dict[str, Any], error: type[SmsgateError]
) -> None:
    with pytest.raises(error):
        await s.submit.submit(s.alice, command(**options))
    assert await s.stored() == []
    assert await balance(s.store, s.alice) == CREDIT
