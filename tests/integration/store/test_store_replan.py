"""Conformance of every Store backend on plans: a message keeps the plan it was accepted
with, and a send outcome with another plan moves the difference with an adjustment entry.

On memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace

from smsgate.core.ledger import EntryKind, LedgerEntry
from smsgate.core.messages import Message, PartStatus, Status
from smsgate.services.ports import (
    NewMessage,
    Replanned,
    SendOutcome,
    SentPart,
    Store,
)
from tests.integration.backends import Database
from tests.integration.store.scenario import NOW, funded, new_id, sent, submission

PRICE = 1000


async def accepted_message(store: Store, credit: int, parts: int) -> Message:
    account = await funded(store, "acme", credit)
    base = submission(account, cost=parts * PRICE, parts=parts)
    planned = NewMessage(new_id(), "+393331234567", parts, parts * PRICE, "latin1", "udh16")
    accepted = await store.accept(replace(base, messages=(planned,)))
    (message,) = accepted.messages
    (claimed,) = await store.claim(NOW, 10)
    assert claimed.id == message.id
    return claimed


async def adjustments(store: Store, message: Message) -> list[LedgerEntry]:
    entries = await store.ledger(message.payer_id, limit=100, before_id=None)
    return [e for e in reversed(entries) if e.kind not in (EntryKind.TOPUP, EntryKind.CHARGE)]


async def test_a_message_keeps_the_plan_it_was_accepted_with(store: Store) -> None:
    message = await accepted_message(store, 10 * PRICE, 2)
    found = await store.message(message.id)
    assert found is not None
    assert (found.encoding, found.concat, found.parts, found.cost) == (
        "latin1",
        "udh16",
        2,
        2 * PRICE,
    )


async def test_a_send_with_more_parts_charges_them_with_an_adjustment(store: Store) -> None:
    message = await accepted_message(store, 10 * PRICE, 2)
    outcome = replace(
        sent(replace(message, parts=3)), replanned=Replanned("gsm7", "udh8", 3, 3 * PRICE)
    )
    await store.record_sends([outcome], NOW)
    found = await store.message(message.id)
    assert found is not None and found.status is Status.SENT
    assert (found.encoding, found.concat, found.parts, found.cost) == ("gsm7", "udh8", 3, 3 * PRICE)
    ((kind, amount, reference),) = [
        (e.kind, e.amount, e.reference) for e in await adjustments(store, message)
    ]
    assert (kind, amount, reference) == (EntryKind.ADJUSTMENT, -PRICE, message.id)
    assert len(await store.parts(message.id)) == 3


async def test_a_rejection_refunds_on_the_plan_sent(store: Store) -> None:
    message = await accepted_message(store, 10 * PRICE, 3)
    parts = (
        SentPart(1, "up-1", PartStatus.SENT, None),
        SentPart(2, None, PartStatus.REJECTED, "refused"),
    )
    outcome = SendOutcome(
        message.id,
        Status.REJECTED,
        "op",
        parts,
        "refused",
        PRICE,
        None,
        Replanned("gsm7", "udh8", 2, 2 * PRICE),
    )
    await store.record_sends([outcome], NOW)
    amounts = [(e.kind, e.amount) for e in await adjustments(store, message)]
    assert amounts == [(EntryKind.ADJUSTMENT, PRICE), (EntryKind.REFUND, PRICE)]
    account = await store.account(message.payer_id)
    assert account is not None and account.balance == 10 * PRICE - PRICE


async def test_a_requeued_message_keeps_its_new_plan(store: Store) -> None:
    message = await accepted_message(store, 10 * PRICE, 2)
    outcome = SendOutcome(
        message.id, Status.QUEUED, "op", (), "busy", 0, NOW, Replanned("gsm7", "udh8", 1, PRICE)
    )
    await store.record_sends([outcome], NOW)
    found = await store.message(message.id)
    assert found is not None and (found.status, found.parts, found.cost) == (
        Status.QUEUED,
        1,
        PRICE,
    )
    amounts = [(e.kind, e.amount) for e in await adjustments(store, message)]
    assert amounts == [(EntryKind.ADJUSTMENT, PRICE)]


async def test_extra_parts_are_charged_beyond_the_balance(database: Database) -> None:
    store = await database.open()
    message = await accepted_message(store, 2 * PRICE, 2)
    outcome = replace(
        sent(replace(message, parts=3)), replanned=Replanned("gsm7", "udh8", 3, 3 * PRICE)
    )
    await store.record_sends([outcome], NOW)
    account = await store.account(message.payer_id)
    assert account is not None and account.balance == -PRICE
    entries = await store.ledger(message.payer_id, limit=10, before_id=None)
    assert sum(e.amount for e in entries) == -PRICE == entries[0].balance_after
