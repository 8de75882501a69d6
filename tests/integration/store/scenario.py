"""Builders for store tests: funded accounts, submissions, sends, and the money invariant."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from smsgate.core.accounts import Account
from smsgate.core.ledger import EntryKind
from smsgate.core.messages import Message, PartStatus, Status
from smsgate.services.inbound_plan import charge_reference
from smsgate.services.ports import (
    AccountToCreate,
    NewMessage,
    SendOutcome,
    SentPart,
    Store,
    Submission,
)

NOW = 1_700_000_000.0
VALIDITY = 3600.0
CONNECTOR = "sim"

_ids = itertools.count(1)


def new_id(kind: str = "m") -> str:
    """Ids that sort in creation order, like the real TimeOrderedIds."""
    return f"{next(_ids):012d}{kind}"


async def funded(
    store: Store,
    name: str,
    credit: int = 0,
    *,
    parent: Account | None = None,
    own_balance: bool = True,
    callback: bool = False,
) -> Account:
    parent_id = parent.id if parent else None
    account = await store.create_account(
        AccountToCreate(name, parent_id, own_balance, "EUR", "IT", 10, None, NOW)
    )
    if credit:
        await store.move_credit(
            movements=[(account.id, EntryKind.TOPUP, credit)], reference="topup", now=NOW
        )
    found = await store.account(account.id)
    assert found is not None
    return found


def submission(
    account: Account,
    *,
    cost: int = 1,
    recipients: int = 1,
    parts: int = 1,
    payer: Account | None = None,
    reference: str | None = None,
    callback_url: str | None = None,
    scheduled_at: float | None = None,
    created_at: float = NOW,
) -> Submission:
    """A submission of `recipients` messages costing `cost` each."""
    start = scheduled_at or created_at
    return Submission(
        batch_id=new_id("b"),
        account_id=account.id,
        payer_id=(payer or account).id,
        sender="smsgate",
        text="hello",
        encoding="gsm7",
        currency="EUR",
        status=Status.SCHEDULED if scheduled_at is not None else Status.QUEUED,
        reference=reference,
        callback_url=callback_url,
        created_at=created_at,
        scheduled_at=scheduled_at,
        expires_at=start + VALIDITY,
        messages=tuple(
            NewMessage(new_id(), f"+3933312345{n:02d}", parts, cost) for n in range(recipients)
        ),
    )


async def queued_messages(store: Store, count: int) -> list[str]:
    """The ids of `count` messages alice (funded here) has queued, oldest first."""
    account = await funded(store, "alice", 1_000)
    accepted = await store.accept(submission(account, recipients=count))
    return sorted(m.id for m in accepted.messages)


async def state(store: Store, message_id: str) -> tuple[Status, int]:
    """A message's status and how many attempts it spent."""
    message = await store.message(message_id)
    assert message is not None
    return message.status, message.attempts


def sent(message: Message, *upstream_ids: str, connector: str = CONNECTOR) -> SendOutcome:
    """The outcome of an upstream that took every part of `message`."""
    ids = upstream_ids or tuple(f"up-{message.id}-{seq}" for seq in range(1, message.parts + 1))
    parts = tuple(SentPart(seq, uid, PartStatus.SENT, None) for seq, uid in enumerate(ids, 1))
    return SendOutcome(message.id, Status.SENT, connector, parts, None, 0, None)


async def assert_money_consistent(store: Store) -> None:
    """Every balance equals the sum of its ledger entries, and went below zero only by
    the charge of an MO (which an account with no credit still receives)."""
    for account in await store.accounts():
        entries = await store.ledger(account.id, limit=1_000_000, before_id=None)
        running = 0
        for entry in reversed(entries):
            running += entry.amount
            assert entry.balance_after == running, entry
            is_mo_charge = entry.reference.startswith(charge_reference(0).rstrip("0"))
            assert running >= 0 or entry.amount >= 0 or is_mo_charge, entry
        assert account.balance == running, account


async def balance(store: Store, account: Account) -> int:
    found = await store.account(account.id)
    assert found is not None
    return found.balance


def statuses(messages: Sequence[Message]) -> list[Status]:
    return [m.status for m in messages]
