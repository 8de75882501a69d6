"""The throughput limit of a connector: at most so many sends a second, whatever its type."""

from __future__ import annotations

import asyncio


class TokenBucket:
    """At most `rate` takes per second on average, with bursts of up to `rate` (at least 1)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._capacity = max(1.0, rate)
        self._tokens = self._capacity
        self._at: float | None = None

    async def take(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if self._at is not None:
                self._tokens = min(self._capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return
            await asyncio.sleep((1 - self._tokens) / self.rate)
