"""The STOP list's pages and bulk adds on every store backend, through StopListService."""

from __future__ import annotations

import pytest

from smsgate.core.errors import InvalidRequest
from smsgate.services.ports import Store
from smsgate.services.stoplist import (
    MAX_IMPORT_LINES,
    MAX_REPORTED_INVALID,
    SOURCE_API,
    SOURCE_IMPORT,
    InvalidLine,
    StopEntry,
    StopListService,
    StopListStore,
    StopPageQuery,
    csv_numbers,
)
from tests.integration.store.scenario import funded


class Clock:
    def __init__(self) -> None:
        self.t = 1_000.0

    def now(self) -> float:
        return self.t


def stop_store(store: Store) -> StopListStore:
    assert isinstance(store, StopListStore)
    return store


async def test_add_stops_skips_listed_numbers_and_counts_the_rest(store: Store) -> None:
    stops = stop_store(store)
    alice = await funded(store, "alice")
    bob = await funded(store, "bob")
    await stops.add_stop(alice.id, "+393331000000", SOURCE_API, 10.0)
    numbers = [f"+39333100{i:04d}" for i in range(1200)]  # more than one chunk

    assert await stops.add_stops(alice.id, numbers, SOURCE_IMPORT, 20.0) == 1199
    assert await stops.add_stops(alice.id, numbers, SOURCE_IMPORT, 30.0) == 0
    assert await stops.add_stops(alice.id, [], SOURCE_IMPORT, 30.0) == 0
    assert await stops.add_stops(bob.id, numbers[:3], SOURCE_IMPORT, 40.0) == 3

    entries = await stops.stop_entries(alice.id)
    assert len(entries) == 1200
    assert entries[0] == StopEntry(alice.id, "+393331000000", SOURCE_API, 10.0)
    assert {(e.source, e.created_at) for e in entries[1:]} == {(SOURCE_IMPORT, 20.0)}
    assert [e.number for e in await stops.stop_entries(bob.id)] == numbers[:3]


async def test_stop_page_is_newest_first_with_a_source_filter(store: Store) -> None:
    stops = stop_store(store)
    alice = await funded(store, "alice")
    bob = await funded(store, "bob")
    await stops.add_stops(alice.id, ["+393331000001", "+393331000002"], SOURCE_IMPORT, 10.0)
    await stops.add_stop(alice.id, "+393331000003", SOURCE_API, 20.0)
    await stops.add_stop(alice.id, "+393331000004", SOURCE_API, 30.0)
    await stops.add_stop(bob.id, "+393331000005", SOURCE_API, 40.0)

    page = await stops.stop_page(alice.id, StopPageQuery(limit=10))
    assert [e.number[-1] for e in page] == ["4", "3", "2", "1"]
    page = await stops.stop_page(alice.id, StopPageQuery(limit=2))
    assert [e.number[-1] for e in page] == ["4", "3"]
    after = await stops.stop_page(alice.id, StopPageQuery(10, after=(10.0, "+393331000002")))
    assert [e.number[-1] for e in after] == ["1"]
    after = await stops.stop_page(alice.id, StopPageQuery(10, after=(20.0, "+393331000003")))
    assert [e.number[-1] for e in after] == ["2", "1"]
    only = await stops.stop_page(alice.id, StopPageQuery(10, source=SOURCE_IMPORT))
    assert [e.number[-1] for e in only] == ["2", "1"]
    assert await stops.stop_page(alice.id, StopPageQuery(10, source="inbound")) == []


async def test_pages_walk_the_whole_list_once(store: Store) -> None:
    clock = Clock()
    service = StopListService(stop_store(store), clock)
    alice = await funded(store, "alice")
    for batch in range(5):
        clock.t += 1
        numbers = [f"+3933320{batch}{i:04d}" for i in range(7)]  # ties on created_at
        assert (await service.import_numbers(alice, numbers)).added == 7

    seen: list[str] = []
    page, cursor = await service.page(alice, limit=4)
    seen += [e.number for e in page]
    while cursor is not None:
        page, cursor = await service.page(alice, limit=4, cursor=cursor)
        seen += [e.number for e in page]
    everything = [e.number for e in reversed(await service.entries(alice))]
    assert seen == everything and len(set(seen)) == 35
    assert [e.number async for e in service.every_entry(alice)] == everything


async def test_bad_page_requests_are_refused(store: Store) -> None:
    service = StopListService(stop_store(store), Clock())
    alice = await funded(store, "alice")
    for bad in ({"limit": 0}, {"limit": 1001}, {"cursor": "???"}, {"source": "Bad Source"}):
        with pytest.raises(InvalidRequest) as refused:
            await service.page(alice, **bad)
        assert refused.value.field == next(iter(bad))
    with pytest.raises(InvalidRequest, match="cursor"):
        await service.page(alice, cursor="bmFuICszOTMzMw")  # "nan +3933"


async def test_import_adds_the_valid_lines_and_reports_the_others(store: Store) -> None:
    clock = Clock()
    service = StopListService(stop_store(store), clock)
    alice = await funded(store, "alice")  # default country IT
    bob = await funded(store, "bob")
    await service.add(alice, "+393331234567")
    lines = [
        "number",
        "+393337654321,inbound",
        "",
        "333 123 4567",  # listed already, written nationally
        "not a number",
        "+393337654321",  # twice in the file
        "0039 333 000 1111",
        "+39" + "1" * 70,
    ]

    result = await service.import_numbers(alice, csv_numbers(lines))

    assert (result.added, result.present, result.invalid) == (2, 2, 2)
    assert result.invalid_lines == (
        InvalidLine(5, "not a number", "not a valid phone number"),
        InvalidLine(8, "+39" + "1" * 61 + "…", "longer than 64 characters"),
    )
    entries = {e.number: e.source for e in await service.entries(alice)}
    assert entries == {
        "+393331234567": SOURCE_API,
        "+393337654321": SOURCE_IMPORT,
        "+393330001111": SOURCE_IMPORT,
    }
    assert await service.blocked(alice.id, ["+393330001111"]) == {"+393330001111"}
    assert await service.entries(bob) == []


async def test_import_reports_a_bounded_number_of_invalid_lines(store: Store) -> None:
    service = StopListService(stop_store(store), Clock())
    alice = await funded(store, "alice")
    lines = ["x"] * (MAX_REPORTED_INVALID + 50) + ["+393331234567"]

    result = await service.import_numbers(alice, lines)

    assert (result.added, result.present, result.invalid) == (1, 0, MAX_REPORTED_INVALID + 50)
    assert len(result.invalid_lines) == MAX_REPORTED_INVALID
    assert result.invalid_lines[-1].line == MAX_REPORTED_INVALID


async def test_an_import_over_the_line_limit_adds_nothing(store: Store) -> None:
    service = StopListService(stop_store(store), Clock())
    alice = await funded(store, "alice")
    lines = [f"+3933{i:08d}" for i in range(MAX_IMPORT_LINES + 1)]

    with pytest.raises(InvalidRequest, match="at most 100000 lines") as refused:
        await service.import_numbers(alice, lines)

    assert refused.value.field == "file"
    assert await service.entries(alice) == []


async def test_add_new_says_whether_the_number_was_listed(store: Store) -> None:
    clock = Clock()
    service = StopListService(stop_store(store), clock)
    alice = await funded(store, "alice")

    first, added = await service.add_new(alice, "333 123 4567")
    assert added and first == StopEntry(alice.id, "+393331234567", SOURCE_API, 1_000.0)
    clock.t += 5
    again, added = await service.add_new(alice, "+393331234567", source="cli")
    assert not added and again == first
