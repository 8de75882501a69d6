import asyncio
import contextlib
import logging

import pytest

from smsgate.services.clock import SystemClock, TimeOrderedIds, run_every


def test_ids_are_unique_and_sorted_in_creation_order() -> None:
    source = TimeOrderedIds()
    ids = [source.new_id() for _ in range(20_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert {len(i) for i in ids} == {25}


def test_two_sources_do_not_collide() -> None:
    first, second = TimeOrderedIds(), TimeOrderedIds()
    ids = [source.new_id() for _ in range(5_000) for source in (first, second)]
    assert len(set(ids)) == len(ids)


def test_system_clock_reads_epoch_seconds() -> None:
    assert SystemClock().now() > 1.7e9


async def test_run_every_logs_a_failed_run_and_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    runs: list[int] = []

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("boom")

    log = logging.getLogger("test.run_every")
    task = asyncio.create_task(run_every(0.001, job, log, "job failed"))
    while len(runs) < 3:
        await asyncio.sleep(0.001)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert [r.getMessage() for r in caplog.records if r.name == "test.run_every"] == ["job failed"]
