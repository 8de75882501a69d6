"""GroupCommit: callers arriving together share one flush, each gets its own answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from smsgate.store.groupcommit import GroupCommit


class Recorder:
    def __init__(self, *, fail: Exception | None = None, pause: float = 0.0) -> None:
        self.groups: list[list[int]] = []
        self.fail = fail
        self.pause = pause

    async def flush(self, items: Sequence[int]) -> list[int | Exception]:
        self.groups.append(list(items))
        await asyncio.sleep(self.pause)
        if self.fail is not None:
            raise self.fail
        return [ValueError(f"odd {n}") if n % 2 else n * 10 for n in items]


async def test_callers_of_one_turn_share_a_group() -> None:
    recorder = Recorder()
    commit: GroupCommit[int, int] = GroupCommit(recorder.flush)
    results = await asyncio.gather(*(commit.submit(n) for n in range(6)), return_exceptions=True)
    assert recorder.groups == [[0, 1, 2, 3, 4, 5]]
    assert [r if isinstance(r, int) else str(r) for r in results] == [
        0,
        "odd 1",
        20,
        "odd 3",
        40,
        "odd 5",
    ]
    assert (commit.groups, commit.items) == (1, 6)


async def test_callers_arriving_during_a_flush_form_the_next_group() -> None:
    recorder = Recorder(pause=0.01)
    commit: GroupCommit[int, int] = GroupCommit(recorder.flush, max_group=3)
    first = asyncio.ensure_future(commit.submit(0))
    await asyncio.sleep(0.001)
    rest = [asyncio.ensure_future(commit.submit(n)) for n in (2, 4, 6, 8)]
    assert await asyncio.gather(first, *rest) == [0, 20, 40, 60, 80]
    assert recorder.groups == [[0], [2, 4, 6], [8]]


@pytest.mark.parametrize(("gather", "groups"), [(0.0, [[0], [2]]), (0.3, [[0, 2]])])
async def test_with_a_gather_the_callers_of_that_time_join_the_group(
    gather: float, groups: list[list[int]]
) -> None:
    recorder = Recorder(pause=0.05)
    commit: GroupCommit[int, int] = GroupCommit(recorder.flush, gather=gather)
    first = asyncio.ensure_future(commit.submit(0))
    await asyncio.sleep(0.01)  # past the first turn of the loop, within the gather
    later = asyncio.ensure_future(commit.submit(2))
    assert list(await asyncio.gather(first, later)) == [0, 20]
    assert recorder.groups == groups


async def test_a_writer_cancelled_while_gathering_answers_every_caller() -> None:
    commit: GroupCommit[int, int] = GroupCommit(Recorder().flush, gather=30.0)
    waiting = [asyncio.ensure_future(commit.submit(n)) for n in (2, 4)]
    await asyncio.sleep(0.01)
    [writer] = [t for t in asyncio.all_tasks() if t.get_name() == "smsgate-group-commit"]
    writer.cancel()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert [str(r) for r in results] == ["the store was closed"] * 2


async def test_groups_are_bounded_in_weight() -> None:
    recorder = Recorder()
    commit: GroupCommit[int, int] = GroupCommit(recorder.flush, max_weight=10, weight=lambda n: n)
    sizes = [4, 4, 4, 20, 2, 6]
    assert await asyncio.gather(*(commit.submit(n) for n in sizes)) == [n * 10 for n in sizes]
    assert recorder.groups == [[4, 4], [4], [20], [2, 6]]


async def test_a_failed_flush_fails_its_whole_group() -> None:
    commit: GroupCommit[int, int] = GroupCommit(Recorder(fail=RuntimeError("disk")).flush)
    results = await asyncio.gather(commit.submit(2), commit.submit(4), return_exceptions=True)
    assert [str(r) for r in results] == ["disk", "disk"]


async def test_a_caller_that_gave_up_is_not_written() -> None:
    recorder = Recorder()
    commit: GroupCommit[int, int] = GroupCommit(recorder.flush)
    gone = asyncio.ensure_future(commit.submit(2))
    kept = asyncio.ensure_future(commit.submit(4))
    await asyncio.sleep(0)
    gone.cancel()
    assert await kept == 40
    assert recorder.groups == [[4]]


async def test_close_drains_then_refuses() -> None:
    recorder = Recorder(pause=0.01)
    commit: GroupCommit[int, int] = GroupCommit(recorder.flush)
    waiting = asyncio.ensure_future(commit.submit(2))
    await asyncio.sleep(0)
    await commit.close()
    assert waiting.done() and waiting.result() == 20
    with pytest.raises(RuntimeError):
        await commit.submit(4)


class Poisoned(Recorder):
    """A flush that raises (changing nothing) when any item of its group is poisoned."""

    def __init__(self, poisoned: set[int]) -> None:
        super().__init__()
        self.poisoned = poisoned

    async def flush(self, items: Sequence[int]) -> list[int | Exception]:
        self.groups.append(list(items))
        bad = self.poisoned.intersection(items)
        if bad:
            raise LookupError(f"bad {min(bad)}")
        return [n * 10 for n in items]


async def test_an_item_that_makes_its_flush_raise_fails_alone() -> None:
    recorder = Poisoned({6, 22})
    commit: GroupCommit[int, int] = GroupCommit(
        recorder.flush, isolate=lambda exc: isinstance(exc, LookupError)
    )
    items = list(range(0, 64, 2))
    results = await asyncio.gather(*(commit.submit(n) for n in items), return_exceptions=True)
    assert [r if isinstance(r, int) else str(r) for r in results] == [
        f"bad {n}" if n in (6, 22) else n * 10 for n in items
    ]
    assert commit.groups == 1
    # Each item was committed exactly once, and finding the two took few flushes.
    committed = [n for g in recorder.groups if not recorder.poisoned.intersection(g) for n in g]
    assert sorted(committed) == [n for n in items if n not in (6, 22)]
    assert len(recorder.groups) <= 1 + 2 * 2 * 5


async def test_an_error_isolate_refuses_fails_the_whole_group_at_once() -> None:
    recorder = Poisoned({2})
    commit: GroupCommit[int, int] = GroupCommit(
        recorder.flush, isolate=lambda exc: not isinstance(exc, LookupError)
    )
    results = await asyncio.gather(*(commit.submit(n) for n in (2, 4, 6)), return_exceptions=True)
    assert [str(r) for r in results] == ["bad 2"] * 3
    assert recorder.groups == [[2, 4, 6]]


async def test_a_caller_alone_whose_flush_raised_is_tried_once_more() -> None:
    # A row another writer committed between the two tries (a reference race) is seen
    # by the second: it answers the caller, where the first try raised.
    raised: list[int] = []

    async def flush(items: Sequence[int]) -> list[int | Exception]:
        if not raised:
            raised.append(items[0])
            raise LookupError("duplicate key")
        return [n * 10 for n in items]

    commit: GroupCommit[int, int] = GroupCommit(flush, isolate=lambda _: True)
    assert await commit.submit(3) == 30
    assert raised == [3]
