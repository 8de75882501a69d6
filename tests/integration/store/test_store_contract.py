"""Conformance of every Store backend: accounts, keys, prices, money, accept, reading, cancel.

The dispatch side is in test_store_dispatch.py and the races in
test_store_concurrency.py; all run on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from smsgate.core.accounts import AccountStatus
from smsgate.core.errors import Conflict, InsufficientCredit, NotFound
from smsgate.core.ledger import EntryKind
from smsgate.core.messages import Status
from smsgate.services.ports import MessageQuery, Store
from tests.integration.store.scenario import (
    NOW,
    VALIDITY,
    assert_money_consistent,
    balance,
    funded,
    submission,
)


async def test_accounts_and_their_tree(store: Store) -> None:
    root = await funded(store, "root")
    child = await funded(store, "child", parent=root, own_balance=False)
    grandchild = await funded(store, "grandchild", parent=child)

    assert await store.account(child.id) == child
    assert await store.account_by_name("grandchild") == grandchild
    assert await store.account(999_999) is None
    assert await store.account_by_name("nobody") is None
    assert [a.id for a in await store.accounts()] == [root.id, child.id, grandchild.id]
    assert await store.accounts(root.id) == [child]
    assert await store.chain(grandchild.id) == [grandchild, child, root]
    assert await store.chain(999_999) == []
    assert (child.own_balance, child.balance, child.status) == (False, 0, AccountStatus.ACTIVE)

    with pytest.raises(Conflict):
        await funded(store, "root")


async def test_status_and_password(store: Store) -> None:
    account = await funded(store, "alice")
    assert await store.password_hash(account.id) is None
    await store.set_password_hash(account.id, "scrypt$x$y")
    assert await store.password_hash(account.id) == "scrypt$x$y"
    await store.set_status(account.id, AccountStatus.SUSPENDED.value)
    found = await store.account(account.id)
    assert found is not None and found.status is AccountStatus.SUSPENDED


async def test_api_keys_and_revocation(store: Store) -> None:
    alice = await funded(store, "alice")
    bob = await funded(store, "bob")
    await store.add_api_key(alice.id, "hash-a1", "sg_aaaaaaa", NOW)
    await store.add_api_key(alice.id, "hash-a2", "sg_bbbbbbb", NOW + 1)
    await store.add_api_key(bob.id, "hash-b1", "sg_aaaaaaa", NOW)
    with pytest.raises(Conflict):
        await store.add_api_key(bob.id, "hash-a1", "sg_ccccccc", NOW)

    assert await store.account_by_key_hash("hash-a1") == alice
    assert await store.account_by_key_hash("nope") is None
    assert await store.revoke_api_key(alice.id, "sg_aaa", NOW + 5) is True
    assert await store.account_by_key_hash("hash-a1") is None
    assert await store.account_by_key_hash("hash-b1") == bob, "another account's key stays"
    assert await store.revoke_api_key(alice.id, "sg_aaa", NOW + 6) is False, "already revoked"
    assert await store.revoke_api_key(alice.id, "sg_zzz", NOW + 6) is False
    assert await store.revoke_api_key(alice.id, "", NOW + 6) is False
    assert await store.api_keys(alice.id) == [
        ("sg_aaaaaaa", NOW, NOW + 5),
        ("sg_bbbbbbb", NOW + 1, None),
    ]


async def test_price_lists(store: Store) -> None:
    alice = await funded(store, "alice")
    bob = await funded(store, "bob")
    await store.set_price(None, "*", 50)
    await store.set_price(None, "39", 40)
    await store.set_prices(alice.id, [("39", 30), ("3933", 20), ("39", 25)])
    await store.set_price(alice.id, "3933", 21)

    lists = await store.price_lists([alice.id, bob.id, None])
    assert [pl.owner_id for pl in lists] == [alice.id, bob.id, None]
    assert dict(lists[0].prices) == {"39": 25, "3933": 21}
    assert dict(lists[1].prices) == {}
    assert dict(lists[2].prices) == {"*": 50, "39": 40}
    assert lists[0].lookup("393331234567") == 21
    assert await store.price_lists([]) == []


async def test_move_credit_is_all_or_nothing(store: Store) -> None:
    parent = await funded(store, "parent", 1_000)
    child = await funded(store, "child", parent=parent)

    entries = await store.move_credit(
        movements=[
            (parent.id, EntryKind.TRANSFER_OUT, -600),
            (child.id, EntryKind.TRANSFER_IN, 600),
        ],
        reference="transfer:parent->child",
        now=NOW + 1,
    )
    assert [(e.account_id, e.kind, e.amount, e.balance_after) for e in entries] == [
        (parent.id, EntryKind.TRANSFER_OUT, -600, 400),
        (child.id, EntryKind.TRANSFER_IN, 600, 600),
    ]
    assert entries[0].id < entries[1].id
    assert entries[0].reference == "transfer:parent->child"

    with pytest.raises(InsufficientCredit):
        await store.move_credit(
            movements=[
                (child.id, EntryKind.TRANSFER_IN, 500),
                (parent.id, EntryKind.TRANSFER_OUT, -500),
            ],
            reference="too much",
            now=NOW + 2,
        )
    with pytest.raises(NotFound):
        await store.move_credit(
            movements=[(parent.id, EntryKind.TOPUP, 1), (999_999, EntryKind.TOPUP, 1)],
            reference="ghost",
            now=NOW + 2,
        )
    assert (await balance(store, parent), await balance(store, child)) == (400, 600)
    await assert_money_consistent(store)


async def test_ledger_pages_newest_first(store: Store) -> None:
    alice = await funded(store, "alice")
    for n in range(1, 6):
        await store.move_credit(
            movements=[(alice.id, EntryKind.TOPUP, n)], reference=f"t{n}", now=NOW + n
        )
    first = await store.ledger(alice.id, limit=2, before_id=None)
    assert [e.reference for e in first] == ["t5", "t4"]
    rest = await store.ledger(alice.id, limit=10, before_id=first[-1].id)
    assert [e.reference for e in rest] == ["t3", "t2", "t1"]
    assert await store.ledger(999_999, limit=10, before_id=None) == []


async def test_accept_stores_and_charges(store: Store) -> None:
    alice = await funded(store, "alice", 100)
    sub = submission(alice, cost=7, recipients=3, parts=2, callback_url="https://example.test/cb")

    accepted = await store.accept(sub)

    assert accepted.batch_id == sub.batch_id and not accepted.replayed
    assert [m.id for m in accepted.messages] == [m.id for m in sub.messages]
    first = accepted.messages[0]
    assert (first.status, first.cost, first.parts, first.payer_id) == (
        Status.QUEUED,
        7,
        2,
        alice.id,
    )
    assert (first.callback_url, first.expires_at, first.attempts) == (
        sub.callback_url,
        NOW + VALIDITY,
        0,
    )
    for message in accepted.messages:
        assert await store.message(message.id) == message
    assert await store.parts(first.id) == []
    assert await store.message("missing") is None
    assert await balance(store, alice) == 100 - 21
    charge = (await store.ledger(alice.id, limit=1, before_id=None))[0]
    assert (charge.kind, charge.amount, charge.reference) == (EntryKind.CHARGE, -21, sub.batch_id)
    assert await store.queue_depth() == 3
    await assert_money_consistent(store)


async def test_accept_charges_the_payer(store: Store) -> None:
    parent = await funded(store, "parent", 10)
    child = await funded(store, "child", parent=parent, own_balance=False)
    accepted = await store.accept(submission(child, cost=4, payer=parent))
    assert accepted.messages[0].account_id == child.id
    assert accepted.messages[0].payer_id == parent.id
    assert (await balance(store, parent), await balance(store, child)) == (6, 0)
    await assert_money_consistent(store)


async def test_accept_refuses_what_the_balance_cannot_cover(store: Store) -> None:
    alice = await funded(store, "alice", 5)
    sub = submission(alice, cost=2, recipients=3)
    with pytest.raises(InsufficientCredit):
        await store.accept(sub)
    assert await store.message(sub.messages[0].id) is None
    assert await balance(store, alice) == 5
    assert await store.queue_depth() == 0
    # The reference of a refused submission stays free.
    ok = await store.accept(submission(alice, cost=5, reference="r1"))
    assert not ok.replayed
    await assert_money_consistent(store)


async def test_accept_scheduled(store: Store) -> None:
    alice = await funded(store, "alice", 10)
    accepted = await store.accept(submission(alice, scheduled_at=NOW + 600))
    message = accepted.messages[0]
    assert (message.status, message.scheduled_at) == (Status.SCHEDULED, NOW + 600)
    assert message.expires_at == NOW + 600 + VALIDITY
    assert await store.queue_depth() == 0


async def test_reference_makes_accept_idempotent(store: Store) -> None:
    alice = await funded(store, "alice", 100)
    bob = await funded(store, "bob", 100)
    first = await store.accept(submission(alice, cost=3, recipients=2, reference="order-1"))
    again = await store.accept(submission(alice, cost=3, recipients=2, reference="order-1"))
    other = await store.accept(submission(bob, cost=3, reference="order-1"))

    assert again.replayed and again.batch_id == first.batch_id
    assert again.messages == first.messages
    assert not other.replayed, "references are per account"
    assert await balance(store, alice) == 94
    assert len(await store.ledger(alice.id, limit=10, before_id=None)) == 2  # topup + 1 charge
    await assert_money_consistent(store)


async def test_same_new_reference_twice_in_one_group(store: Store) -> None:
    alice = await funded(store, "alice", 100)
    one, two = await asyncio.gather(
        store.accept(submission(alice, cost=10, reference="dup")),
        store.accept(submission(alice, cost=10, reference="dup")),
    )
    assert (one.replayed, two.replayed) == (False, True)
    assert two.batch_id == one.batch_id and two.messages == one.messages
    assert await balance(store, alice) == 90
    await assert_money_consistent(store)


async def test_messages_newest_first_with_filters(store: Store) -> None:
    alice = await funded(store, "alice", 100)
    bob = await funded(store, "bob", 100)
    a1 = await store.accept(submission(alice, recipients=2, created_at=NOW))
    a2 = await store.accept(submission(alice, recipients=2, created_at=NOW + 10))
    await store.accept(submission(bob, created_at=NOW + 20))
    ids = [m.id for m in a1.messages + a2.messages]

    async def page(
        *,
        status: Status | None = None,
        batch_id: str | None = None,
        since: float | None = None,
        limit: int = 100,
        before_id: str | None = None,
    ) -> list[str]:
        query = MessageQuery(limit, status, batch_id, since, before_id)
        found = await store.messages(alice.id, query)
        return [m.id for m in found]

    assert await page() == ids[::-1]
    assert await page(limit=3) == ids[::-1][:3]
    assert await page(before_id=ids[2]) == ids[:2][::-1]
    assert await page(batch_id=a1.batch_id) == ids[:2][::-1]
    assert await page(since=NOW + 5) == ids[2:][::-1]
    assert await page(status=Status.QUEUED) == ids[::-1]
    assert await page(status=Status.SENT) == []


async def test_messages_from_a_sender_or_with_a_reference(store: Store) -> None:
    alice = await funded(store, "alice", 100)
    shop = await store.accept(replace(submission(alice, reference="r-1"), sender="Shop"))
    plain = await store.accept(submission(alice, recipients=2, reference="r-2"))
    bob = await funded(store, "bob", 100)
    await store.accept(replace(submission(bob, reference="r-1"), sender="Shop"))

    async def ids(query: MessageQuery) -> list[str]:
        return [m.id for m in await store.messages(alice.id, query)]

    assert await ids(MessageQuery(10, sender="Shop")) == [shop.messages[0].id]
    assert await ids(MessageQuery(10, reference="r-2")) == [m.id for m in plain.messages][::-1]
    assert await ids(MessageQuery(10, sender="Shop", reference="r-2")) == []
    assert await ids(MessageQuery(10, sender="shop")) == []


async def test_cancel_a_scheduled_message_refunds_it(store: Store) -> None:
    alice = await funded(store, "alice", 100)
    accepted = await store.accept(
        submission(alice, cost=30, scheduled_at=NOW + 600, callback_url="https://cb.test/x")
    )
    message = accepted.messages[0]

    cancelled = await store.cancel(message.id, NOW + 1)

    assert (cancelled.status, cancelled.done_at, cancelled.cost) == (Status.CANCELLED, NOW + 1, 0)
    assert await store.message(message.id) == cancelled
    assert await balance(store, alice) == 100
    refund = (await store.ledger(alice.id, limit=1, before_id=None))[0]
    assert (refund.kind, refund.amount, refund.reference) == (EntryKind.REFUND, 30, message.id)
    notes = await store.due_notifications(NOW + 1, 10)
    assert [(n.message_id, n.url) for n in notes] == [(message.id, "https://cb.test/x")]
    with pytest.raises(Conflict):
        await store.cancel(message.id, NOW + 2)
    await assert_money_consistent(store)


async def test_cancel_refuses_what_is_not_scheduled(store: Store) -> None:
    alice = await funded(store, "alice", 100)
    queued = (await store.accept(submission(alice, cost=5))).messages[0]
    with pytest.raises(Conflict):
        await store.cancel(queued.id, NOW + 1)
    with pytest.raises(NotFound):
        await store.cancel("missing", NOW + 1)
    assert await balance(store, alice) == 95
    assert await store.claim(NOW + 1, 10) == [await store.message(queued.id)]


async def test_accepted_messages_read_back_equal_with_every_field(store: Store) -> None:
    alice = await funded(store, "alice", 100)
    sub = replace(
        submission(alice, recipients=2, reference="ref-1", scheduled_at=NOW + 60),
        udh=b"\x05\x00\x03\x2a\x02\x01",
        tag="campaign",
        registered_delivery=True,
    )
    accepted = await store.accept(sub)
    assert accepted.messages[0].udh == sub.udh and accepted.messages[0].tag == "campaign"
    for message in accepted.messages:
        assert await store.message(message.id) == message
