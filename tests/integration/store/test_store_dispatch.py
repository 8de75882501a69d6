"""Conformance of every Store backend on the dispatch side.

claim, record_sends, apply_receipts, open_parts, expire, recover_sending and the
webhook outbox; on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets

import pytest
from sqlalchemy.engine import Connection

from smsgate.core.ledger import EntryKind
from smsgate.core.messages import Message, PartStatus, Status
from smsgate.services.clock import SystemClock
from smsgate.services.counters import Counters
from smsgate.services.delivery import ReceiptRecorder
from smsgate.services.ports import (
    AppliedReceipts,
    NotificationAttempt,
    ReceiptUpdate,
    SendOutcome,
    SentPart,
    Store,
)
from smsgate.store import SqlStore, sql_dispatch, sql_receipts, sql_rows
from tests.conftest import run_sql
from tests.integration.backends import Database
from tests.integration.store.scenario import (
    CONNECTOR,
    NOW,
    VALIDITY,
    assert_money_consistent,
    balance,
    funded,
    sent,
    statuses,
    submission,
)

CB = "https://cb.test/hook"


def receipt(
    upstream_id: str, status: PartStatus, at: float, error: str | None = None
) -> ReceiptUpdate:
    return ReceiptUpdate(CONNECTOR, upstream_id, status, error, at)


async def one_claimed(
    store: Store, *, cost: int = 10, parts: int = 1, callback: bool = True
) -> Message:
    account = await store.account_by_name("alice") or await funded(store, "alice", 1_000)
    await store.accept(
        submission(account, cost=cost, parts=parts, callback_url=CB if callback else None)
    )
    (claimed,) = await store.claim(NOW + 1, 10)
    return claimed


async def test_claim_takes_due_messages_once(store: Store) -> None:
    alice = await funded(store, "alice", 100)
    queued = await store.accept(submission(alice, recipients=3))
    later = await store.accept(submission(alice, scheduled_at=NOW + 100))
    soon = await store.accept(submission(alice, scheduled_at=NOW + 5))

    first = await store.claim(NOW + 10, 2)
    second = await store.claim(NOW + 10, 10)

    expected = [m.id for m in queued.messages] + [soon.messages[0].id]
    assert [m.id for m in first + second] == expected
    assert [m.id for m in first] == expected[:2], "oldest first"
    assert statuses(first + second) == [Status.SENDING] * 4
    assert {m.attempts for m in first + second} == {1}
    assert await store.claim(NOW + 10, 10) == []
    assert await store.queue_depth() == 4, "sending counts as queued"
    assert [m.id for m in await store.claim(NOW + 100, 10)] == [later.messages[0].id]
    assert await store.claim(NOW - 10, 10) == []


async def test_a_claimed_message_is_the_stored_one_being_sent(store: Store) -> None:
    # Every field comes back from the claim as it was stored (the claim builds its
    # messages from the driver's values, not through the row mapping the reads use).
    alice = await funded(store, "alice", 100)
    wanted = dataclasses.replace(
        submission(alice, reference="r-1", callback_url="http://127.0.0.1:9/cb"),
        registered_delivery=True,
        tag="promo",
        udh=bytes.fromhex("0500030a0201"),
        reply_url="http://127.0.0.1:9/reply",
    )
    accepted = await store.accept(wanted)
    [claimed] = await store.claim(NOW + 1, 10)
    stored = await store.message(accepted.messages[0].id)
    assert stored is not None
    assert claimed == stored
    assert (claimed.status, claimed.attempts) == (Status.SENDING, 1)
    assert (claimed.udh, claimed.registered_delivery) == (wanted.udh, True)
    assert (claimed.tag, claimed.reply_url, claimed.reference) == ("promo", wanted.reply_url, "r-1")


async def test_sent_message_keeps_its_parts(store: Store) -> None:
    message = await one_claimed(store, parts=2)
    await store.record_sends([sent(message)], NOW + 2)

    stored = await store.message(message.id)
    assert stored is not None
    assert (stored.status, stored.sent_at, stored.done_at) == (Status.SENT, NOW + 2, None)
    parts = await store.parts(message.id)
    assert [(p.seq, p.status, p.upstream_id, p.connector) for p in parts] == [
        (1, PartStatus.SENT, f"up-{message.id}-1", CONNECTOR),
        (2, PartStatus.SENT, f"up-{message.id}-2", CONNECTOR),
    ]
    assert await store.queue_depth() == 0
    assert await store.open_parts(CONNECTOR) == [
        (f"up-{message.id}-1", message.to),
        (f"up-{message.id}-2", message.to),
    ]
    assert await store.open_parts("other") == []
    assert await store.due_notifications(NOW + 10, 10) == [], "not final yet"


async def test_temporary_failure_requeues_for_later(store: Store) -> None:
    message = await one_claimed(store)
    retry = SendOutcome(message.id, Status.QUEUED, CONNECTOR, (), "throttled", 0, NOW + 60)
    await store.record_sends([retry], NOW + 2)

    stored = await store.message(message.id)
    assert stored is not None and (stored.status, stored.error) == (Status.QUEUED, "throttled")
    assert await store.claim(NOW + 59, 10) == []
    (again,) = await store.claim(NOW + 60, 10)
    assert (again.id, again.attempts) == (message.id, 2)


async def test_rejection_refunds_and_notifies(store: Store) -> None:
    message = await one_claimed(store, cost=30, parts=3)
    outcome = SendOutcome(
        message.id,
        Status.REJECTED,
        CONNECTOR,
        (
            SentPart(1, "u1", PartStatus.SENT, None),
            SentPart(2, None, PartStatus.REJECTED, "bad"),
            SentPart(3, None, PartStatus.REJECTED, "bad"),
        ),
        "bad",
        20,
        None,
    )
    await store.record_sends([outcome], NOW + 2)

    stored = await store.message(message.id)
    assert stored is not None
    assert (stored.status, stored.error, stored.done_at) == (Status.REJECTED, "bad", NOW + 2)
    assert stored.cost == 30 - 20, "a message's cost is what it keeps charged"
    assert [p.status for p in await store.parts(message.id)] == [
        PartStatus.SENT,
        PartStatus.REJECTED,
        PartStatus.REJECTED,
    ]
    assert await payer_balance(store, message) == 1_000 - 30 + 20
    refund = (await store.ledger(message.payer_id, limit=1, before_id=None))[0]
    assert (refund.kind, refund.amount, refund.reference) == (EntryKind.REFUND, 20, message.id)
    notes = await store.due_notifications(NOW + 2, 10)
    assert [(n.message_id, n.url, n.attempts) for n in notes] == [(message.id, CB, 0)]
    await assert_money_consistent(store)


async def test_stale_outcomes_are_ignored(store: Store) -> None:
    message = await one_claimed(store)
    failed = SendOutcome(message.id, Status.FAILED, None, (), "no_route", 10, None)
    await store.record_sends([failed, sent(message)], NOW + 2)
    await store.record_sends([failed], NOW + 3)
    await store.record_sends([sent(message), failed], NOW + 4)
    stored = await store.message(message.id)
    assert stored is not None and (stored.status, stored.done_at) == (Status.FAILED, NOW + 2)
    assert await store.parts(message.id) == []
    assert await payer_balance(store, message) == 1_000
    await assert_money_consistent(store)
    with pytest.raises(ValueError):
        await store.record_sends(
            [SendOutcome(message.id, Status.DELIVERED, None, (), None, 0, None)], NOW
        )


async def current_statuses(store: Store, *messages: Message) -> list[Status | None]:
    found = [await store.message(m.id) for m in messages]
    return [m.status if m else None for m in found]


async def payer_balance(store: Store, message: Message) -> int:
    payer = await store.account(message.payer_id)
    assert payer is not None
    return payer.balance


async def test_a_receipt_with_an_impossible_id_fails_no_other(sql_database: Database) -> None:
    store = await sql_database.open()
    message = await one_claimed(store)
    await store.record_sends([sent(message)], NOW + 2)
    recorder = ReceiptRecorder(store, SystemClock(), Counters())
    # Receipt text is parsed from bytes an upstream sends: "id:\S+" can hold U+0000.
    impossible = receipt("up-\x00-1", PartStatus.DELIVERED, NOW + 3)
    good = receipt(f"up-{message.id}-1", PartStatus.UNDELIVERED, NOW + 3, "e\x00rr")

    # Both callers share one transaction.
    await asyncio.gather(recorder.record([impossible]), recorder.record([good]))

    stored = await store.message(message.id)
    assert stored is not None and stored.status is Status.UNDELIVERED
    assert [p.error for p in await store.parts(message.id)] == ["e\\x00rr"]
    assert recorder.unmatched == 0


async def test_receipts_finish_messages(store: Store) -> None:
    message = await one_claimed(store, parts=2)
    await store.record_sends([sent(message)], NOW + 2)
    up1, up2 = (f"up-{message.id}-{seq}" for seq in (1, 2))

    applied = await store.apply_receipts([receipt(up1, PartStatus.DELIVERED, NOW + 3)])
    assert applied == AppliedReceipts({}, [], 0)
    stored = await store.message(message.id)
    assert stored is not None and stored.status is Status.SENT, "one part is still open"

    late = receipt(up2, PartStatus.UNDELIVERED, NOW + 4, "absent subscriber")
    applied = await store.apply_receipts([late])
    assert applied == AppliedReceipts({Status.UNDELIVERED: 1}, [], 0)
    stored = await store.message(message.id)
    assert stored is not None
    assert (stored.status, stored.error, stored.done_at) == (
        Status.UNDELIVERED,
        "absent subscriber",
        NOW + 4,
    )
    assert [(p.status, p.error) for p in await store.parts(message.id)] == [
        (PartStatus.DELIVERED, None),
        (PartStatus.UNDELIVERED, "absent subscriber"),
    ]
    assert [n.message_id for n in await store.due_notifications(NOW + 10, 10)] == [message.id]
    assert await store.open_parts(CONNECTOR) == []
    duplicate = receipt(up1, PartStatus.DELIVERED, NOW + 5)
    applied = await store.apply_receipts([duplicate])
    assert applied == AppliedReceipts({}, [], 1), "its part is final: a repeat"


async def test_a_batch_of_receipts_finishes_many_messages(store: Store) -> None:
    alice = await funded(store, "alice", 1_000)
    await store.accept(submission(alice, recipients=4, parts=2, callback_url=CB))
    claimed = await store.claim(NOW + 1, 10)
    await store.record_sends([sent(m) for m in claimed], NOW + 2)
    outcome = [PartStatus.DELIVERED, PartStatus.UNDELIVERED, PartStatus.EXPIRED, None]
    receipts = [
        receipt(f"up-{m.id}-{seq}", status or PartStatus.DELIVERED, NOW + 3)
        for m, status in zip(claimed, outcome, strict=True)
        for seq in ((1, 2) if status else (1,))
    ]

    applied = await store.apply_receipts(receipts)
    assert applied.unmatched == []
    assert applied.finished == {Status.DELIVERED: 1, Status.UNDELIVERED: 1, Status.EXPIRED: 1}

    assert await current_statuses(store, *claimed) == [
        Status.DELIVERED,
        Status.UNDELIVERED,
        Status.EXPIRED,
        Status.SENT,
    ]
    assert len(await store.due_notifications(NOW + 3, 10)) == 3
    assert await store.open_parts(CONNECTOR) == [(f"up-{claimed[3].id}-2", claimed[3].to)]


async def test_a_round_longer_than_one_statement_list(store: Store) -> None:
    # The SQL stores read at most ListQuery.MAX_LIST ids per statement: a longer round
    # is locked, recorded and finished in chunks, no message twice and none left out.
    alice = await funded(store, "alice", 10_000)
    await store.accept(submission(alice, recipients=1_100, callback_url=CB))
    claimed = await store.claim(NOW + 1, 2_000)
    assert len(claimed) == 1_100

    await store.record_sends([sent(m) for m in claimed], NOW + 2)
    applied = await store.apply_receipts(
        [receipt(f"up-{m.id}-1", PartStatus.DELIVERED, NOW + 3) for m in claimed]
    )

    assert applied.finished == {Status.DELIVERED: 1_100} and applied.unmatched == []
    assert set(await current_statuses(store, *claimed)) == {Status.DELIVERED}
    assert await store.open_parts(CONNECTOR) == []
    assert len(await store.due_notifications(NOW + 3, 2_000)) == 1_100
    await assert_money_consistent(store)


async def test_receipt_before_its_send_is_unmatched(store: Store) -> None:
    message = await one_claimed(store)
    early = receipt(f"up-{message.id}-1", PartStatus.DELIVERED, NOW + 2)
    other = receipt("unknown", PartStatus.DELIVERED, NOW + 2)
    assert (await store.apply_receipts([early, other])).unmatched == [early, other]

    await store.record_sends([sent(message)], NOW + 3)
    assert (await store.apply_receipts([early])).unmatched == []
    stored = await store.message(message.id)
    assert stored is not None and stored.status is Status.DELIVERED


async def test_reused_upstream_id_matches_the_newest_open_part(store: Store) -> None:
    alice = await funded(store, "alice", 100)
    await store.accept(submission(alice, recipients=2))
    old, new = await store.claim(NOW + 1, 10)
    await store.record_sends([sent(old, "same"), sent(new, "same")], NOW + 2)

    applied = await store.apply_receipts([receipt("same", PartStatus.DELIVERED, NOW + 3)])
    assert applied.unmatched == []
    assert await current_statuses(store, old, new) == [Status.SENT, Status.DELIVERED]
    await store.apply_receipts([receipt("same", PartStatus.DELIVERED, NOW + 4)])
    stored = await store.message(old.id)
    assert stored is not None and stored.status is Status.DELIVERED


async def test_expire_sent_and_stuck_messages(store: Store) -> None:
    alice = await funded(store, "alice", 100)
    await store.accept(submission(alice, cost=10, recipients=3, callback_url=CB))
    was_sent, stuck, fresh = await store.claim(NOW + 1, 10)
    retry = SendOutcome(stuck.id, Status.QUEUED, CONNECTOR, (), "busy", 0, NOW + 2)
    await store.record_sends([sent(was_sent), retry], NOW + 1)
    assert await store.expire(NOW + VALIDITY - 1, 100) == 0

    assert await store.expire(NOW + VALIDITY, 100) == 2

    expired_sent = await store.message(was_sent.id)
    expired_stuck = await store.message(stuck.id)
    assert expired_sent is not None and expired_stuck is not None
    assert statuses([expired_sent, expired_stuck]) == [Status.EXPIRED, Status.EXPIRED]
    assert expired_sent.done_at == NOW + VALIDITY
    assert [p.status for p in await store.parts(was_sent.id)] == [PartStatus.EXPIRED]
    assert await balance(store, alice) == 100 - 30 + 10, "only the never-sent one is refunded"
    assert (expired_sent.cost, expired_stuck.cost) == (10, 0)
    notified = {n.message_id for n in await store.due_notifications(NOW + VALIDITY, 10)}
    assert notified == {was_sent.id, stuck.id}
    fresh_now = await store.message(fresh.id)
    assert fresh_now is not None and fresh_now.status is Status.SENDING
    assert await store.expire(NOW + VALIDITY, 100) == 0
    await assert_money_consistent(store)

    # A receipt that arrives after we gave up still wins.
    late = receipt(f"up-{was_sent.id}-1", PartStatus.DELIVERED, NOW + VALIDITY + 5)
    assert (await store.apply_receipts([late])).finished == {Status.DELIVERED: 1}
    delivered = await store.message(was_sent.id)
    assert delivered is not None and delivered.status is Status.DELIVERED


async def test_expire_respects_the_limit(store: Store) -> None:
    alice = await funded(store, "alice", 100)
    await store.accept(submission(alice, recipients=5))
    assert await store.expire(NOW + VALIDITY, 2) == 2
    assert await store.expire(NOW + VALIDITY, 10) == 3
    assert await balance(store, alice) == 100
    await assert_money_consistent(store)


async def test_recover_sending(store: Store) -> None:
    alice = await funded(store, "alice", 100)
    await store.accept(submission(alice, recipients=2))
    (early,) = await store.claim(NOW + 1, 1)
    (late,) = await store.claim(NOW + 5, 1)

    assert await store.recover_sending(NOW + 3) == 1
    assert await current_statuses(store, early, late) == [Status.QUEUED, Status.SENDING]
    (again,) = await store.claim(NOW + 6, 10)
    assert (again.id, again.attempts) == (early.id, 2)
    assert await store.recover_sending(NOW + 100) == 2


async def test_outbox_attempts(store: Store) -> None:
    message = await one_claimed(store)
    await store.record_sends(
        [SendOutcome(message.id, Status.FAILED, None, (), "no_route", 0, None)], NOW + 2
    )
    (note,) = await store.due_notifications(NOW + 2, 10)
    assert note.message is not None
    assert (note.message.id, note.message.status) == (message.id, Status.FAILED)
    assert await store.due_notifications(NOW + 1, 10) == [], "not due yet"

    await store.record_notifications(
        [NotificationAttempt(note.id, False, 500, "boom", NOW + 30)], NOW + 3
    )
    assert await store.due_notifications(NOW + 29, 10) == []
    (again,) = await store.due_notifications(NOW + 30, 10)
    assert (again.id, again.attempts, again.next_at) == (note.id, 1, NOW + 30)

    await store.record_notifications(
        [
            NotificationAttempt(note.id, True, 200, None, None),
            NotificationAttempt(123_456, True, 200, None, None),  # gone: ignored
        ],
        NOW + 31,
    )
    assert await store.due_notifications(NOW + 1_000, 10) == []
    await store.record_notifications([], NOW)


async def test_outbox_gives_up(store: Store) -> None:
    first = await one_claimed(store)
    await store.record_sends([SendOutcome(first.id, Status.FAILED, None, (), "x", 0, None)], NOW)
    (note,) = await store.due_notifications(NOW, 10)
    await store.record_notifications(
        [NotificationAttempt(note.id, False, None, "timeout", None)], NOW + 1
    )
    assert await store.due_notifications(NOW + 1_000, 10) == []


async def test_an_open_part_never_makes_its_receipt_a_repeat(store: Store) -> None:
    # On PostgreSQL a send may commit between the two reads of one apply_receipts; its
    # receipt must then wait for the next try, not be dropped as a repeat.
    message = await one_claimed(store)
    await store.record_sends([sent(message)], NOW + 2)
    early = receipt(f"up-{message.id}-1", PartStatus.DELIVERED, NOW + 3)
    if isinstance(store, SqlStore):
        waiting, repeated = await store.connections.write(sql_receipts._split_repeats, [early])
        assert (waiting, repeated) == ([early], 0)
    assert (await store.apply_receipts([early])).finished == {Status.DELIVERED: 1}
    assert (await store.apply_receipts([early])).repeated == 1


@pytest.mark.postgres
async def test_the_claim_is_never_run_on_a_cached_generic_plan(postgres_url: str) -> None:
    # A generic plan made while the table is nearly empty scans it whole once it is
    # full; PostgreSQL makes one after five runs of a prepared statement.
    db = Database("postgres", postgres_url, f"t_{secrets.token_hex(6)}")
    await run_sql(postgres_url, f'CREATE SCHEMA "{db.search_path}"')
    try:
        store = await db.open()
        assert isinstance(store, SqlStore)

        def mode(conn: Connection) -> str:
            return str(conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one())

        def claim_often_then_look(conn: Connection) -> tuple[int, int, str, str]:
            for i in range(12):
                sql_dispatch.claim(conn, NOW + i, 10)
            generic, custom = conn.exec_driver_sql(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement LIKE '%SET status = ''sending''%'"
            ).one()
            after_claim = mode(conn)
            sql_rows.plan_as_usual(conn)
            return int(generic), int(custom), after_claim, mode(conn)

        # What follows the claim in its transaction is planned afresh too, until
        # plan_as_usual (before the holds' executemany); the next transaction as usual.
        looked = await store.connections.write(claim_often_then_look)
        assert looked == (0, 12, "force_custom_plan", "auto")
        assert await store.connections.read(mode) == "auto"
    finally:
        await db.close()
        await run_sql(postgres_url, f'DROP SCHEMA "{db.search_path}" CASCADE')
