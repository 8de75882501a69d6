"""Failed logins of `MemoryStore`: `MemoryLockout`, the same semantics as sql_lockout."""

from __future__ import annotations

from collections.abc import Sequence

from smsgate.services.lockout import NAME


class MemoryLockout:
    @property
    def _login_failures(self) -> dict[str, list[float]]:
        # subject -> [failures, window_start, blocked_until]; created on first use.
        rows: dict[str, list[float]] | None = self.__dict__.get("_login_rows")
        if rows is None:
            rows = self.__dict__["_login_rows"] = {}
        return rows

    async def add_login_failures(
        self, subjects: Sequence[str], now: float, window: float
    ) -> dict[str, int]:
        rows = self._login_failures
        counts: dict[str, int] = {}
        for subject in subjects:
            row = rows.setdefault(subject, [0, now, 0.0])
            if row[1] <= now - window:
                row[0], row[1] = 0, now
            row[0] += 1
            counts[subject] = int(row[0])
        return counts

    async def block_logins(self, subjects: Sequence[str], until: float) -> None:
        for subject in subjects:
            row = self._login_failures.get(subject)
            if row is not None:
                row[:] = [0, until, until]

    async def login_watch(self, now: float, window: float) -> dict[str, float]:
        found: dict[str, float] = {}
        for subject, (failures, window_start, until) in self._login_failures.items():
            if until > now:
                found[subject] = until
            elif subject.startswith(NAME) and failures > 0 and window_start > now - window:
                found[subject] = 0.0
        return found

    async def clear_login_failures(self, subject: str, now: float) -> None:
        row = self._login_failures.get(subject)
        if row is not None and row[2] <= now:
            del self._login_failures[subject]

    async def prune_login_failures(self, before: float, now: float) -> int:
        rows = self._login_failures
        gone = [s for s, row in rows.items() if row[1] < before and row[2] <= now]
        for subject in gone:
            del rows[subject]
        return len(gone)
