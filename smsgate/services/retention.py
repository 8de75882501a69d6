"""Retention: final messages and MO older than `SMSGATE_RETENTION_DAYS` are deleted in
small batches once nothing waits to deliver them, each batch's totals first added to the
statistics aggregates (per account and UTC quarter-hour; messages also per connector,
status and currency), so reports over old days add up after the rows are gone. The
ledger is never deleted."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import KW_ONLY, dataclass
from typing import Protocol, runtime_checkable

from smsgate.services.clock import run_every
from smsgate.services.ports import Clock

log = logging.getLogger(__name__)

DAY = 86_400
# Aggregates are kept per quarter-hour: every UTC offset in use is a whole number of
# them, so a report in any of them still counts each aggregate in the right day.
BUCKET = 900


@dataclass(frozen=True, slots=True)
class Pruned:
    messages: int = 0
    inbound: int = 0

    def __add__(self, other: Pruned) -> Pruned:
        return Pruned(self.messages + other.messages, self.inbound + other.inbound)


@runtime_checkable
class RetentionStore(Protocol):
    async def prune(self, before: float, limit: int) -> Pruned:
        """In one transaction: up to `limit` final messages created before `before` that
        no pending webhook or SMPP receipt waits for, their totals added to the
        aggregates and taken out of the hourly totals, deleted with their parts,
        finished outbox rows and emptied batches; and up to `limit` MO received before
        `before` that no pending delivery waits for, counted and deleted likewise.
        Several nodes may run it at once: each row is counted once."""
        ...


@dataclass(eq=False, slots=True)
class RetentionService:
    """Deletes what is older than `days` (0: keep everything), `batch` rows of each kind
    a transaction, every `interval` seconds. After each batch it waits as long as the
    batch took (at least `pause`), so it holds the store's writer at most half the time
    and accepting goes on beside it. Nodes that dispatch run it; several at once never
    count a row twice."""

    store: RetentionStore
    clock: Clock
    days: int
    _: KW_ONLY
    batch: int = 1000
    pause: float = 0.05
    interval: float = 3600.0

    async def run_once(self) -> Pruned:
        if self.days <= 0:
            return Pruned()
        before = self.clock.now() - self.days * DAY
        total = Pruned()
        while True:
            started = time.perf_counter()
            done = await self.store.prune(before, self.batch)
            total += done
            if done.messages < self.batch and done.inbound < self.batch:
                break
            await asyncio.sleep(max(self.pause, time.perf_counter() - started))
        if total.messages or total.inbound:
            log.info(
                "retention: deleted %d messages and %d MO older than %d days",
                total.messages,
                total.inbound,
                self.days,
            )
        return total

    async def run(self) -> None:
        """A first pass a minute after start, then one every `interval`."""
        await asyncio.sleep(min(60.0, self.interval))
        try:
            await self.run_once()
        except Exception:
            log.exception("retention failed")
        await run_every(self.interval, self.run_once, log, "retention failed")
