"""The hourly totals on every store backend: after each run of the job the portal's
figures (by day, country and status; by day and status with what retention deleted)
equal the live aggregation, through accepts, sends, receipts, expiry, cancellation, a
late receipt of an expired message and retention."""

from __future__ import annotations

import asyncio
import dataclasses

from smsgate.core.accounts import Account
from smsgate.core.messages import Message, PartStatus, Status
from smsgate.services.hourly_totals import HOUR, HourlyTotalsService, RollUp
from smsgate.services.numbers import country_of
from smsgate.services.ports import MessageQuery, ReceiptUpdate, SendOutcome, Store
from smsgate.services.statistics import StatisticsService
from smsgate.store import MemoryStore, SqlStore
from tests.integration.store.scenario import NOW, funded, sent, submission
from tests.integration.store.test_numbers_contract import Clock

DAY = 86_400
START = int(NOW) // DAY * DAY - DAY  # the report's first UTC day
UNTIL = START + 4 * DAY
NUMBERS = ("+393331234567", "+33612345678", "+12025550123", "+4915112345678")

Figures = dict[tuple[object, ...], tuple[int, int, int]]


def full(store: Store) -> MemoryStore | SqlStore:
    assert isinstance(store, MemoryStore | SqlStore)
    return store


async def send(store: Store, account: Account, at: float, *, to: str, count: int = 1) -> None:
    base = submission(account, recipients=count, cost=3, parts=2, created_at=at)
    messages = tuple(dataclasses.replace(m, to=to) for m in base.messages)
    await store.accept(dataclasses.replace(base, messages=messages))


async def live(store: Store, account: Account) -> tuple[Figures, ...]:
    """By (day, country, status, currency) and (country, status, currency) from the live
    messages, and by (day, status, currency) with what retention deleted: what the pages
    showed before the totals."""
    s = full(store)
    countries: Figures = {}
    by_country: Figures = {}
    for r in await s.destination_totals([account.id], since=START, until=UNTIL, utc_offset=0):
        place = country_of(r.prefix)
        _add(countries, (r.day, place, r.status, r.currency), r.messages, r.parts, r.cost)
        _add(by_country, (None, place, r.status, r.currency), r.messages, r.parts, r.cost)
    daily: Figures = {}
    for row in await StatisticsService(s).rows(account, since=START, until=UNTIL):
        _add(daily, (row.day, row.status, row.currency), row.messages, 0, row.cost)
    return countries, by_country, daily


async def counted(store: Store, account: Account) -> tuple[Figures, ...]:
    """The same figures as the portal reads them now: the hourly totals (and live rows
    after their watermark), and for the days what retention deleted."""
    service = StatisticsService(full(store))
    figures: list[Figures] = []
    for day in (True, False):
        found: Figures = {}
        for g in await service.by_destination(account, since=START, until=UNTIL, day=day):
            t = g.totals
            _add(found, (g.day, g.country, g.status, g.currency), t.messages, t.parts, t.cost)
        figures.append(found)
    daily: Figures = {}
    for g in await service.by_destination(account, since=START, until=UNTIL, country=False):
        _add(daily, (g.day, g.status, g.currency), g.totals.messages, 0, g.totals.cost)
    for row in await service.retained(account, since=START, until=UNTIL):
        _add(daily, (row.day, row.status, row.currency), row.messages, 0, row.cost)
    return (*figures, daily)


def _add(found: Figures, key: tuple[object, ...], n: int, part_count: int, cost: int) -> None:
    was = found.get(key, (0, 0, 0))
    found[key] = (was[0] + n, was[1] + part_count, was[2] + cost)


async def same_in_another_offset(store: Store, account: Account) -> None:
    """Days of UTC+1 read from the hours (no whole UTC day) equal the live count."""
    s = full(store)
    expected: Figures = {}
    for r in await s.destination_totals([account.id], since=START, until=UNTIL, utc_offset=3600):
        key = (r.day, country_of(r.prefix), r.status, r.currency)
        _add(expected, key, r.messages, r.parts, r.cost)
    found: Figures = {}
    service = StatisticsService(s)
    for g in await service.by_destination(account, since=START, until=UNTIL, utc_offset=3600):
        t = g.totals
        _add(found, (g.day, g.country, g.status, g.currency), t.messages, t.parts, t.cost)
    assert found == expected and found


async def same_as_live(store: Store, account: Account) -> None:
    assert await counted(store, account) == await live(store, account)


async def test_the_totals_equal_the_live_figures_after_each_run(store: Store) -> None:
    s = full(store)
    alice = await funded(store, "alice", 10_000)
    bob = await funded(store, "bob", 10_000)
    clock = Clock(NOW)
    job = HourlyTotalsService(s, clock, chunk=2)
    for hours_ago, to in ((30, 0), (5, 1), (4, 2), (3, 3), (0.2, 0)):
        await send(store, alice, NOW - hours_ago * HOUR, to=NUMBERS[to], count=2)
    await send(store, bob, NOW - 4 * HOUR, to=NUMBERS[0])
    await store.accept(submission(alice, cost=4, scheduled_at=NOW + DAY, created_at=NOW - 3 * HOUR))
    await same_as_live(store, alice)  # no totals yet: all live

    first = await job.run_once()
    assert first.messages == 10  # all but the two of the hour after the watermark
    await same_as_live(store, alice)

    # sends, receipts, an expiry, a cancellation: the hours they change are counted again
    claimed = await store.claim(NOW + 1, 100)
    await store.record_sends([sent(m) for m in claimed[:-2]], NOW + 2)
    await store.record_sends([_rejected(m) for m in claimed[-2:]], NOW + 2)
    await store.apply_receipts(_receipts(claimed[:4], PartStatus.DELIVERED, NOW + 3))
    await store.apply_receipts(_receipts(claimed[4:5], PartStatus.UNDELIVERED, NOW + 3))
    [scheduled] = [m for m in await _all(store, alice) if m.status is Status.SCHEDULED]
    await store.cancel(scheduled.id, NOW + 4)
    clock.at = NOW + 4 * HOUR
    assert await s.expire(clock.at, 100) > 0
    again = await job.run_once()
    assert again.hours > 0
    await same_as_live(store, alice)
    await same_as_live(store, bob)

    # a late receipt makes an expired message delivered: its hour is counted again
    expired = [m for m in await _all(store, alice) if m.status is Status.EXPIRED]
    assert expired
    await store.apply_receipts(_receipts(expired[:1], PartStatus.DELIVERED, clock.at + 1))
    assert (await counted(store, alice)) != (await live(store, alice))  # until the next run
    await job.run_once()
    await same_as_live(store, alice)
    assert await job.run_once() == RollUp()  # nothing changed: nothing counted again

    # retention takes out what it deletes, at once and after the next run
    assert (await s.prune(NOW - 2 * HOUR, 100)).messages > 0
    await same_as_live(store, alice)
    await same_as_live(store, bob)
    clock.at += HOUR
    await job.run_once()
    await same_as_live(store, alice)
    await same_in_another_offset(store, alice)


async def test_runs_at_once_or_again_count_the_same_and_new_messages_show_at_once(
    store: Store,
) -> None:
    s = full(store)
    alice = await funded(store, "alice", 10_000)
    clock = Clock(NOW)
    job = HourlyTotalsService(s, clock)
    await send(store, alice, NOW - 10 * HOUR, to=NUMBERS[1], count=3)
    await send(store, alice, NOW - 30 * HOUR, to=NUMBERS[3], count=2)
    # two nodes' first runs at once: each hour counted once
    await asyncio.gather(job.run_once(), HourlyTotalsService(s, clock, chunk=1).run_once())
    await same_as_live(store, alice)
    before = await counted(store, alice)
    await s.roll_up(await s.stale_hours(job.watermark()), job.watermark())
    await s.roll_up([job.watermark() - 10 * HOUR - HOUR], job.watermark())  # counted again
    assert await counted(store, alice) == before
    await send(store, alice, NOW - 60, to=NUMBERS[2])  # after the watermark: live
    await same_as_live(store, alice)


def _rejected(message: Message) -> SendOutcome:
    """A permanent refusal: the message's cost given back."""
    return SendOutcome(message.id, Status.REJECTED, "sim", (), "refused", message.cost, None)


def _receipts(messages: list[Message], status: PartStatus, at: float) -> list[ReceiptUpdate]:
    return [
        ReceiptUpdate("sim", f"up-{m.id}-{seq}", status, None, at)
        for m in messages
        for seq in range(1, m.parts + 1)
    ]


async def _all(store: Store, account: Account) -> list[Message]:
    return await store.messages(account.id, MessageQuery(limit=1000))
