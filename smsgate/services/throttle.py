"""Per-account throughput limits: token buckets refilled by the clock.

A request of n messages takes n tokens or is refused whole with RateLimited; an
account may burst up to one second's worth of its rate (at least one message).
"""

from __future__ import annotations

from smsgate.core.errors import RateLimited
from smsgate.services.ports import Clock


class RateLimiter:
    def __init__(self, clock: Clock, rate: float = 0.0) -> None:
        self._clock = clock
        self._rate = rate
        self._buckets: dict[int, tuple[float, float]] = {}

    def take(self, account_id: int, count: int, rate: float | None = None) -> None:
        """Spend `count` tokens of the account at `rate` (default: the limiter's), or
        raise RateLimited and spend none."""
        rate = self._rate if rate is None else rate
        if rate <= 0:
            return
        burst = max(rate, 1.0)
        now = self._clock.now()
        tokens, last = self._buckets.get(account_id, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        if count > tokens:
            self._buckets[account_id] = (tokens, now)
            if count > burst:
                raise RateLimited(f"{count} messages at once exceed the burst of {burst:g}")
            raise RateLimited(
                f"more than {rate:g} messages per second", retry_after=(count - tokens) / rate
            )
        self._buckets[account_id] = (tokens - count, now)
