"""Failed logins of `MemoryStore`; the same semantics as sql_lockout."""

from __future__ import annotations

from collections.abc import Sequence

from smsgate.services.lockout import NAME
from smsgate.store.memory_tables import LoginFailures, MemoryTables


class MemoryLockout(MemoryTables):
    async def add_login_failures(
        self, subjects: Sequence[str], now: float, window: float
    ) -> dict[str, int]:
        counts: dict[str, int] = {}
        for subject in subjects:
            row = self._login_failures.setdefault(subject, LoginFailures(0, now))
            if row.window_start <= now - window:
                row.failures, row.window_start = 0, now
            row.failures += 1
            counts[subject] = row.failures
        return counts

    async def block_logins(self, subjects: Sequence[str], until: float) -> None:
        for subject in subjects:
            if subject in self._login_failures:
                self._login_failures[subject] = LoginFailures(0, until, until)

    async def login_watch(self, now: float, window: float) -> dict[str, float]:
        found: dict[str, float] = {}
        for subject, row in self._login_failures.items():
            if row.blocked_until > now:
                found[subject] = row.blocked_until
            elif subject.startswith(NAME) and row.failures > 0 and row.window_start > now - window:
                found[subject] = 0.0
        return found

    async def clear_login_failures(self, subject: str, now: float) -> None:
        row = self._login_failures.get(subject)
        if row is not None and row.blocked_until <= now:
            del self._login_failures[subject]

    async def prune_login_failures(self, before: float, now: float) -> int:
        rows = self._login_failures
        gone = [
            s for s, row in rows.items() if row.window_start < before and row.blocked_until <= now
        ]
        for subject in gone:
            del rows[subject]
        return len(gone)
