"""The real clock and id source; tests pass their own through the same ports."""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


class SystemClock:
    def now(self) -> float:
        return time.time()


class TimeOrderedIds:
    """20-character ids that sort by creation time: 48 bits of milliseconds, 52 of counter.

    The counter starts at a random point each millisecond, so processes sharing one
    database practically never collide, and ids from one process always increase.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0

    def new_id(self) -> str:
        with self._lock:
            ms = time.time_ns() // 1_000_000
            if ms > self._last_ms:
                self._last_ms = ms
                self._counter = int.from_bytes(os.urandom(6), "big") >> 1
            else:
                self._counter += 1
            value = (self._last_ms << 52) | (self._counter & ((1 << 52) - 1))
        chars = []
        for _ in range(20):
            value, digit = divmod(value, 32)
            chars.append(_ALPHABET[digit])
        return "".join(reversed(chars))
