"""The real clock and id source (tests pass their own through the same ports), and the
loop of a periodic job.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import threading
import time
from collections.abc import Awaitable, Callable


class SystemClock:
    def now(self) -> float:
        return time.time()


class TimeOrderedIds:
    """25-character hex ids that sort by creation time: 48 bits of milliseconds, 52 of counter.

    The counter starts at a random point each millisecond, so processes sharing one
    database practically never collide, and ids from one process always increase.
    """

    def __init__(self) -> None:
        # Seeded once from the OS; a system call per millisecond costs more than the id.
        self._random = random.Random(os.urandom(16))
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0

    def new_id(self) -> str:
        with self._lock:
            ms = time.time_ns() // 1_000_000
            if ms > self._last_ms:
                self._last_ms = ms
                self._counter = self._random.getrandbits(47)
            else:
                self._counter += 1
            value = (self._last_ms << 52) | (self._counter & ((1 << 52) - 1))
        return f"{value:025x}"


def first_id_at(timestamp: float) -> str:
    """The smallest id TimeOrderedIds gives at `timestamp`: every id made before it sorts
    below."""
    return f"{int(timestamp * 1000) << 52:025x}"


async def run_every(
    interval: float, job: Callable[[], Awaitable[object]], log: logging.Logger, failure: str
) -> None:
    """Await `job` every `interval` seconds until cancelled; a run that raises is logged
    to `log` as `failure` and the next run comes as usual."""
    while True:
        await asyncio.sleep(interval)
        try:
            await job()
        except Exception:
            log.exception(failure)
