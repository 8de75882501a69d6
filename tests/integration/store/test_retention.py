"""Retention on every store backend: old final messages and MO are deleted in batches,
their totals kept as aggregates, so reports add up the same before and after; what is
not final, or still has a webhook or SMPP delivery to make, stays."""

from __future__ import annotations

from smsgate.core.accounts import Account
from smsgate.core.messages import PartStatus, Status
from smsgate.services.ports import NotificationAttempt, ReceiptUpdate, Store
from smsgate.services.retention import Pruned, RetentionService
from smsgate.services.statistics import MoTotal, StatisticsService, StatsRow
from smsgate.store import MemoryStore, SqlStore
from tests.integration.store.scenario import NOW, VALIDITY, funded, sent, submission
from tests.integration.store.test_numbers_contract import Clock, services

DAY = 86_400.0
LATER = NOW + 40 * DAY  # when retention runs
CALLBACK = "https://example.test/cb"


def full(store: Store) -> MemoryStore | SqlStore:
    assert isinstance(store, MemoryStore | SqlStore)
    return store


async def traffic(store: Store) -> tuple[Account, Account, list[str]]:
    """alice: one delivered in 2 parts through 'sim', one expired with a callback, one
    still queued (scheduled far ahead); bob (her sub-account): one expired; and three MO."""
    s = full(store)
    alice = await funded(store, "alice", 1_000)
    bob = await funded(store, "bob", 100, parent=alice)
    await store.accept(submission(alice, cost=20, parts=2))
    (claimed,) = await store.claim(NOW + 1, 10)
    await store.record_sends([sent(claimed)], NOW + 2)
    await store.apply_receipts(
        [
            ReceiptUpdate("sim", f"up-{claimed.id}-{seq}", PartStatus.DELIVERED, None, NOW + 3)
            for seq in (1, 2)
        ]
    )
    await store.accept(submission(alice, cost=10, created_at=NOW + 3600, callback_url=CALLBACK))
    await store.accept(submission(bob, cost=7, created_at=NOW + 7200))
    kept = await store.accept(submission(alice, cost=5, scheduled_at=LATER + DAY))
    await s.expire(NOW + 7200 + VALIDITY + 1, 100)
    clock = Clock(NOW + 60)
    numbers, inbound = services(store, clock)
    await numbers.add("3000", account=alice)
    for at in (60, 120, DAY + 60):
        clock.at = NOW + at
        await inbound.receive("op", "393331112222", "3000", "hi", "gsm7", 1)
    await inbound.receive("op", "393331112222", "6000", "unrouted", "gsm7", 1)
    return alice, bob, [m.id for m in kept.messages]


async def reports(store: Store, alice: Account) -> tuple[list[StatsRow], list[MoTotal]]:
    service = StatisticsService(full(store))
    since, until = NOW - DAY, LATER + 2 * DAY
    rows = await service.rows(alice, since=since, until=until, subaccounts=True, utc_offset=3600)
    mo = await service.inbound(alice, since=since, until=until, utc_offset=-1800)
    return sorted(rows, key=lambda r: (r.account_id, r.day, r.connector or "", r.status)), mo


async def test_old_final_messages_go_and_the_reports_stay(store: Store) -> None:
    alice, _, kept = await traffic(store)
    s = full(store)
    before = await reports(store, alice)
    rows, mo = before
    assert [(r.status, r.messages, r.parts, r.cost) for r in rows] == [
        (Status.SCHEDULED, 1, 1, 5),
        (Status.DELIVERED, 1, 2, 20),
        (Status.EXPIRED, 1, 1, 0),  # expired in the queue: refunded
        (Status.EXPIRED, 1, 1, 0),
    ]
    assert [t.messages for t in mo] == [2, 1]
    ledger = await store.ledger(alice.id, limit=100, before_id=None)

    # one message and one MO a batch: the pending webhook holds the callback message
    assert await s.prune(LATER, 1) == Pruned(1, 1)
    assert await s.prune(LATER, 10) == Pruned(1, 3)
    assert await s.prune(LATER, 10) == Pruned(0, 0)
    assert await reports(store, alice) == before
    assert await store.ledger(alice.id, limit=100, before_id=None) == ledger

    (webhook,) = await store.due_notifications(LATER, 10)
    assert webhook.message is not None and webhook.message.status is Status.EXPIRED
    await store.record_notifications(
        [NotificationAttempt(webhook.id, True, 200, None, None)], LATER
    )
    assert await s.prune(LATER, 10) == Pruned(1, 0)
    assert await store.message(webhook.message_id) is None
    assert await reports(store, alice) == before
    # the scheduled message is not final: it stays
    assert (await store.message(kept[0])) is not None


async def test_nothing_goes_without_a_retention_period(store: Store) -> None:
    await traffic(store)
    service = RetentionService(full(store), Clock(LATER), days=0)
    assert await service.run_once() == Pruned()
    assert await full(store).prune(NOW - DAY, 100) == Pruned()


async def test_the_service_prunes_in_batches_until_nothing_is_left(store: Store) -> None:
    alice, _, _ = await traffic(store)
    before = await reports(store, alice)
    service = RetentionService(full(store), Clock(LATER), days=30, batch=1, pause=0)
    assert await service.run_once() == Pruned(2, 4)
    assert await service.run_once() == Pruned()
    assert await reports(store, alice) == before


async def test_what_is_younger_than_the_period_stays(store: Store) -> None:
    await traffic(store)
    service = RetentionService(full(store), Clock(LATER), days=45, batch=10, pause=0)
    assert await service.run_once() == Pruned()
