"""Per-account throughput limits: token buckets refilled by the clock.

A request of n messages takes n tokens or is refused whole with RateLimited; an
account may burst up to one second's worth of its rate.
"""

from __future__ import annotations

from smsgate.core.errors import RateLimited
from smsgate.services.ports import Clock


class RateLimiter:
    def __init__(self, clock: Clock, rate: float) -> None:
        self._clock = clock
        self._rate = rate
        self._buckets: dict[int, tuple[float, float]] = {}

    def take(self, account_id: int, count: int) -> None:
        """Spend `count` tokens of the account, or raise RateLimited and spend none."""
        if self._rate <= 0:
            return
        now = self._clock.now()
        tokens, last = self._buckets.get(account_id, (self._rate, now))
        tokens = min(self._rate, tokens + (now - last) * self._rate)
        if count > tokens:
            self._buckets[account_id] = (tokens, now)
            raise RateLimited(f"more than {self._rate:g} messages per second")
        self._buckets[account_id] = (tokens - count, now)
