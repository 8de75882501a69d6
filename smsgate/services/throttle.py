"""Per-account throughput limits: token buckets refilled by the clock; a request of n
messages takes n tokens or is refused whole (RateLimited), bursts up to one second's
rate. Across processes and nodes (`SharedCounts`) each process shares its counts per
account and second through the store every SHARE_INTERVAL and spends the others' from
its buckets: no store round trip per message (docs/security.md, "Send rates")."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from smsgate.core.errors import RateLimited
from smsgate.services.ports import Clock

log = logging.getLogger(__name__)

SHARE_INTERVAL = 0.2
# Counts of older seconds are no longer read (and are deleted after KEEP_SECONDS).
LOOKBACK_SECONDS = 5
KEEP_SECONDS = 60


class RateLimiter:
    def __init__(self, clock: Clock, rate: float = 0.0) -> None:
        self._clock = clock
        self._rate = rate
        # account id -> (tokens, when counted, rate)
        self._buckets: dict[int, tuple[float, float, float]] = {}

    def take(self, account_id: int, count: int, rate: float | None = None) -> None:
        """Spend `count` tokens of the account at `rate` (default: the limiter's), or
        raise RateLimited and spend none."""
        rate = self._rate if rate is None else rate
        if rate <= 0:
            return
        burst = max(rate, 1.0)
        now = self._clock.now()
        tokens, last, _ = self._buckets.get(account_id, (burst, now, rate))
        tokens = min(burst, tokens + (now - last) * rate)
        if count > tokens:
            self._buckets[account_id] = (tokens, now, rate)
            if count > burst:
                raise RateLimited(f"{count} messages at once exceed the burst of {burst:g}")
            raise RateLimited(
                f"more than {rate:g} messages per second", retry_after=(count - tokens) / rate
            )
        self._buckets[account_id] = (tokens - count, now, rate)

    def charge(self, account_id: int, count: int) -> None:
        """Spend `count` tokens that another process spent: the bucket may go below zero
        (one burst at most), and this process waits until it is refilled. An account
        this process has not limited yet is left alone."""
        found = self._buckets.get(account_id)
        if found is None:
            return
        tokens, last, rate = found
        burst = max(rate, 1.0)
        now = self._clock.now()
        tokens = min(burst, tokens + (now - last) * rate) - count
        self._buckets[account_id] = (max(tokens, -burst), now, rate)


@runtime_checkable
class SendCountStore(Protocol):
    async def share_send_counts(
        self, holder: str, counts: Mapping[tuple[int, int], int], since: int
    ) -> dict[tuple[int, int], int]:
        """Add `counts` ((account id, second) -> messages) to the holder's, in one
        transaction, and return what every other holder counted per (account id,
        second) from second `since` on. Counts older than KEEP_SECONDS before `since`
        are deleted."""
        ...


@dataclass(eq=False, slots=True)
class SharedCounts:
    """Shares what this process (`holder`) accepted per account with the other
    processes through the store, and charges `limiter` with what they accepted."""

    store: SendCountStore
    limiter: RateLimiter
    clock: Clock
    holder: str
    interval: float = SHARE_INTERVAL
    _pending: dict[tuple[int, int], int] = field(default_factory=dict, init=False)
    _seen: dict[tuple[int, int], int] | None = field(default=None, init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    def taken(self, account_id: int, count: int) -> None:
        """This process accepted `count` messages of the account."""
        key = (account_id, int(self.clock.now()))
        self._pending[key] = self._pending.get(key, 0) + count

    def start(self) -> None:
        """Share every `interval` seconds from now on (once started, a no-op)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run())

    async def run(self) -> None:
        while True:
            try:
                await self.share()
            except Exception:
                log.exception("send counts not shared")
            await asyncio.sleep(self.interval)

    async def share(self) -> None:
        """Send this process's new counts; charge the others' new counts. The first
        round only learns what the others counted so far."""
        pending, self._pending = self._pending, {}
        since = int(self.clock.now()) - LOOKBACK_SECONDS
        try:
            totals = await self.store.share_send_counts(self.holder, pending, since)
        except BaseException:
            for key, count in pending.items():
                self._pending[key] = self._pending.get(key, 0) + count
            raise
        seen, self._seen = self._seen, totals
        if seen is None:
            return
        for key, total in totals.items():
            new = total - seen.get(key, 0)
            if new > 0:
                self.limiter.charge(key[0], new)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
