"""Counters the use cases keep about themselves, read by the metrics endpoint.

Plain integers, so no metrics library is needed below the adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Stats:
    accepted: int = 0
    sent: int = 0
    retried: int = 0
    receipts: int = 0
    final: dict[str, int] = field(default_factory=dict)

    def count_final(self, status: str, n: int = 1) -> None:
        self.final[status] = self.final.get(status, 0) + n
