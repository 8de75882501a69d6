"""The clock and the id source every use case is given, so time and ids are arguments."""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class IdSource(Protocol):
    def new_id(self) -> str:
        """A new unique id that sorts after every id this source gave before."""
        ...
