"""Counters the use cases keep about themselves, read by the metrics endpoint.

Plain integers in one buffer of rows, private to one process or a file mapped by the
core and its HTTP workers; each process adds only to its own row and a reader sums
the rows, so no lock is needed.
"""

from __future__ import annotations

from smsgate.core.messages import Status

COUNTERS = (
    "accepted",
    "sent",
    "retried",
    "receipts",
    "inbound_routed",
    "inbound_unrouted",
    # SQLite's one write lock: transactions, µs it was held, µs writers waited for it
    "sqlite_writes",
    "sqlite_write_us",
    "sqlite_wait_us",
    # PostgreSQL: write transactions, and µs from taking a connection to COMMIT
    "postgres_writes",
    "postgres_write_us",
)
FINAL_STATUSES = tuple(status.value for status in Status)
FIELDS = COUNTERS + tuple(f"final:{status}" for status in FINAL_STATUSES)
ROW_BYTES = 8 * len(FIELDS)
_INDEX = {name: i for i, name in enumerate(FIELDS)}


class Counters:
    """Counters of one process (`row`) in a buffer of int64 rows, summed when read."""

    __slots__ = ("_base", "_cells", "_rows")

    def __init__(self, cells: memoryview | None = None, *, row: int = 0) -> None:
        if cells is None:
            cells = memoryview(bytearray(ROW_BYTES)).cast("q")
        self._cells = cells
        self._rows = len(cells) // len(FIELDS)
        if not 0 <= row < self._rows:
            raise ValueError(f"row {row} is outside the {self._rows} rows of the buffer")
        self._base = row * len(FIELDS)

    def add(self, counter: str, count: int = 1) -> None:
        """Add to one of COUNTERS."""
        self._cells[self._base + _INDEX[counter]] += count

    def count_final(self, status: str, count: int = 1) -> None:
        """Count messages that reached the final `status`."""
        self._cells[self._base + _INDEX[f"final:{status}"]] += count

    def total(self, counter: str) -> int:
        """The sum of a counter over every process."""
        index, width = _INDEX[counter], len(FIELDS)
        return sum(self._cells[row * width + index] for row in range(self._rows))

    @property
    def accepted(self) -> int:
        return self.total("accepted")

    @property
    def sent(self) -> int:
        return self.total("sent")

    @property
    def retried(self) -> int:
        return self.total("retried")

    @property
    def receipts(self) -> int:
        return self.total("receipts")

    @property
    def final(self) -> dict[str, int]:
        """Messages per final status, statuses never reached left out."""
        counts = {status: self.total(f"final:{status}") for status in FINAL_STATUSES}
        return {status: count for status, count in counts.items() if count}
