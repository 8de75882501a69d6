"""Statistics on every store backend: the store's totals and the service's reports on them,
of messages sent and of MO received."""

from __future__ import annotations

from datetime import date

import pytest

from smsgate.core.accounts import Account
from smsgate.core.errors import Forbidden, InvalidRequest
from smsgate.core.messages import PartStatus, Status
from smsgate.services.ports import ReceiptUpdate, Store
from smsgate.services.statistics import Dimension, MoTotal, StatisticsService, StatsRow
from smsgate.store import MemoryStore, SqlStore
from tests.integration.store.scenario import NOW, funded, sent, submission
from tests.integration.store.test_numbers_contract import Clock, services

DAY = 86_400.0
# NOW is 2023-11-14 22:13:20 UTC: two hours later it is the 15th.
TODAY, TOMORROW = date(2023, 11, 14), date(2023, 11, 15)


def statistics(store: Store) -> MemoryStore | SqlStore:
    assert isinstance(store, MemoryStore | SqlStore)
    return store


async def traffic(store: Store) -> tuple[Account, Account, Account]:
    """alice sends 3 (one delivered in 2 parts through 'sim', one queued, one the next
    day); her sub-account bob sends one; carol, a stranger, sends one."""
    alice = await funded(store, "alice", 1_000)
    bob = await funded(store, "bob", 100, parent=alice)
    carol = await funded(store, "carol", 100)
    await store.accept(submission(alice, cost=20, parts=2))
    (claimed,) = await store.claim(NOW + 1, 10)
    await store.record_sends([sent(claimed)], NOW + 2)
    await store.apply_receipts(
        [
            ReceiptUpdate("sim", f"up-{claimed.id}-{seq}", PartStatus.DELIVERED, None, NOW + 3)
            for seq in (1, 2)
        ]
    )
    await store.accept(submission(alice, cost=10, created_at=NOW + 10))
    await store.accept(submission(alice, cost=10, created_at=NOW + 2 * 3600))
    await store.accept(submission(bob, cost=7, created_at=NOW + 20))
    await store.accept(submission(carol, cost=5, created_at=NOW + 30))
    return alice, bob, carol


async def test_totals_per_account_day_connector_and_status(store: Store) -> None:
    alice, bob, _ = await traffic(store)

    rows = await statistics(store).message_totals(
        [alice.id, bob.id], since=NOW - DAY, until=NOW + DAY, utc_offset=0
    )

    assert sorted(rows, key=lambda r: (r.account_id, r.day, r.status)) == [
        StatsRow(alice.id, TODAY, "sim", Status.DELIVERED, "EUR", 1, 2, 20),
        StatsRow(alice.id, TODAY, None, Status.QUEUED, "EUR", 1, 1, 10),
        StatsRow(alice.id, TOMORROW, None, Status.QUEUED, "EUR", 1, 1, 10),
        StatsRow(bob.id, TODAY, None, Status.QUEUED, "EUR", 1, 1, 7),
    ]


async def test_totals_respect_period_offset_and_accounts(store: Store) -> None:
    alice, _, carol = await traffic(store)
    totals = statistics(store).message_totals

    assert await totals([carol.id], since=NOW, until=NOW + 30, utc_offset=0) == []
    assert await totals([], since=NOW - DAY, until=NOW + DAY, utc_offset=0) == []
    late = await totals([alice.id], since=NOW + 11, until=NOW + DAY, utc_offset=0)
    assert [(r.day, r.cost) for r in late] == [(TOMORROW, 10)]
    # Two hours west of UTC, everything alice sent falls on the 14th.
    west = await totals([alice.id], since=NOW - DAY, until=NOW + DAY, utc_offset=-7200)
    assert {r.day for r in west} == {TODAY}
    east = await totals([alice.id], since=NOW - DAY, until=NOW + DAY, utc_offset=7200)
    assert {r.day for r in east} == {TOMORROW}


async def test_report_folds_rows_and_includes_subaccounts(store: Store) -> None:
    alice, bob, _ = await traffic(store)
    service = StatisticsService(statistics(store))

    (own,) = await service.report(alice, since=NOW - DAY, until=NOW + DAY, by=())
    assert (own.totals.messages, own.totals.parts, own.totals.cost) == (3, 4, 40)
    assert own.totals.by_status == {Status.DELIVERED: 1, Status.QUEUED: 2}

    per_account = await service.report(
        alice, since=NOW - DAY, until=NOW + DAY, by=[Dimension.ACCOUNT], subaccounts=True
    )
    assert [(g.account_id, g.totals.messages, g.totals.cost) for g in per_account] == [
        (alice.id, 3, 40),
        (bob.id, 1, 7),
    ]
    per_day = await service.report(
        alice, since=NOW - DAY, until=NOW + DAY, by=[Dimension.DAY, Dimension.CONNECTOR]
    )
    assert [(g.day, g.connector, g.totals.messages) for g in per_day] == [
        (TODAY, None, 1),
        (TODAY, "sim", 1),
        (TOMORROW, None, 1),
    ]
    (of_bob,) = await service.report(alice, since=NOW - DAY, until=NOW + DAY, account=bob, by=())
    assert of_bob.totals.cost == 7


async def test_report_refuses_foreign_accounts_and_bad_periods(store: Store) -> None:
    alice, bob, carol = await traffic(store)
    service = StatisticsService(statistics(store))

    with pytest.raises(Forbidden):
        await service.report(bob, since=NOW - DAY, until=NOW + DAY, account=alice)
    with pytest.raises(Forbidden):
        await service.report(alice, since=NOW - DAY, until=NOW + DAY, account=carol)
    with pytest.raises(InvalidRequest):
        await service.report(alice, since=NOW, until=NOW)
    with pytest.raises(InvalidRequest):
        await service.report(alice, since=NOW, until=NOW + 1, utc_offset=15 * 3600)


async def test_messages_with_reference(store: Store) -> None:
    alice = await funded(store, "alice", 100)
    bob = await funded(store, "bob", 100)
    sent = await store.accept(submission(alice, recipients=2, reference="42"))
    await store.accept(submission(bob, reference="42"))
    await store.accept(submission(alice, reference="43"))
    service = StatisticsService(statistics(store))

    found = await service.sent_with_reference(alice, "42")

    assert [m.id for m in found] == [m.id for m in sent.messages]
    assert await service.sent_with_reference(alice, "44") == []


async def test_mo_are_counted_per_account_and_day_of_the_report(store: Store) -> None:
    alice = await funded(store, "alice")
    bob = await funded(store, "bob", parent=alice)
    carol = await funded(store, "carol")
    clock = Clock()
    numbers, inbound = services(store, clock)
    for number, owner in (("3000", alice), ("4000", bob), ("5000", carol)):
        await numbers.add(number, account=owner)
    for at, to in ((1, "3000"), (10, "3000"), (2 * 3600, "3000"), (20, "4000"), (30, "5000")):
        clock.at = NOW + at
        await inbound.receive("op", "393331112222", to, "hi", "gsm7", 1)
    await inbound.receive("op", "393331112222", "6000", "unrouted", "gsm7", 1)
    service = StatisticsService(statistics(store))
    since, until = NOW - DAY, NOW + DAY

    assert await service.inbound(alice, since=since, until=until, subaccounts=True) == [
        MoTotal(alice.id, TODAY, 2),
        MoTotal(alice.id, TOMORROW, 1),
        MoTotal(bob.id, TODAY, 1),
    ]
    assert await service.inbound(alice, since=since, until=until, utc_offset=-3 * 3600) == [
        MoTotal(alice.id, TODAY, 3)
    ]
    assert await service.inbound(alice, since=since, until=until, account=bob) == [
        MoTotal(bob.id, TODAY, 1)
    ]
    assert await service.inbound(alice, since=NOW + 5, until=NOW + 15) == [
        MoTotal(alice.id, TODAY, 1)
    ]
    assert await service.inbound(carol, since=NOW + DAY, until=NOW + 2 * DAY) == []
    with pytest.raises(Forbidden):
        await service.inbound(bob, since=since, until=until, account=alice)
    with pytest.raises(InvalidRequest):
        await service.inbound(alice, since=NOW, until=NOW)
