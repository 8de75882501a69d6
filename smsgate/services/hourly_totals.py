"""Hourly totals: the messages of each account per UTC hour, destination country, status
and currency, brought up to date by a periodic job, so the portal's dashboard and
statistics add up a few thousand rows instead of every message (docs/portal.md)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Protocol, runtime_checkable

from smsgate.core.messages import Status
from smsgate.services.clock import run_every
from smsgate.services.ports import Clock

log = logging.getLogger(__name__)

HOUR = 3600
# A message is counted by its created_at, which is taken before its accept commits:
# hours end this long before the job's run, so a committing accept is never left out.
LAG = 300
# Statuses a message can still leave: an hour holding one is counted again each run.
OPEN = frozenset({Status.QUEUED, Status.SCHEDULED, Status.SENDING, Status.SENT})
# Final, but a late receipt can still make it delivered or undelivered: an hour is counted
# again when its number of expired messages is no longer the one counted.
REOPENABLE = Status.EXPIRED


@runtime_checkable
class HourlyTotalsStore(Protocol):
    async def stale_hours(self, watermark: int) -> list[int]:
        """The starts of the hours before `watermark` (an hour start) whose totals must
        be counted (again), ascending: every hour from the current watermark (or from the
        first message's, when there is none yet) to `watermark`; and below the current
        watermark the hours whose totals hold a message in an OPEN status, or whose
        number of REOPENABLE messages differs from the counted one."""
        ...

    async def roll_up(self, hours: Sequence[int], watermark: int) -> int:
        """In one transaction: the totals of the hours `hours` (ascending) counted again
        from the messages, and the store's watermark moved to min(`watermark`, the last
        hour's end) when that is later; returns the messages counted. Several nodes may
        run it at once; retention never runs beside it (each waits for the other)."""
        ...


@dataclass(frozen=True, slots=True)
class RollUp:
    hours: int = 0
    messages: int = 0


@dataclass(eq=False, slots=True)
class HourlyTotalsService:
    """Every `interval` seconds, counts again the hours that can have changed, `chunk`
    hours a transaction; after each it waits as long as it took (at least `pause`), so
    it holds the store's writer at most half the time."""

    store: HourlyTotalsStore
    clock: Clock
    interval: float = 60.0
    _: KW_ONLY
    chunk: int = 3
    pause: float = 0.01

    def watermark(self) -> int:
        """The end of the hours counted now: the start of the hour LAG seconds ago."""
        return int(self.clock.now() - LAG) // HOUR * HOUR

    async def run_once(self) -> RollUp:
        watermark = self.watermark()
        hours = await self.store.stale_hours(watermark)
        done = RollUp()
        for start in range(0, len(hours), self.chunk):
            began = time.perf_counter()
            chunk = hours[start : start + self.chunk]
            counted = await self.store.roll_up(chunk, watermark)
            done = RollUp(done.hours + len(chunk), done.messages + counted)
            if start + self.chunk < len(hours):
                await asyncio.sleep(max(self.pause, time.perf_counter() - began))
        return done

    async def run(self) -> None:
        """A first run at start, then one every `interval`."""
        try:
            done = await self.run_once()
            log.info("hourly totals: %d hours, %d messages", done.hours, done.messages)
        except Exception:
            log.exception("hourly totals failed")
        await run_every(self.interval, self.run_once, log, "hourly totals failed")
