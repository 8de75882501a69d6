"""The STOP list of `MemoryStore`; the same semantics as sql_stoplist."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from smsgate.services.stoplist import StopEntry, StopPageQuery
from smsgate.store.memory_tables import MemoryTables


class MemoryStopList(MemoryTables):
    async def add_stop(self, account_id: int, number: str, source: str, now: float) -> StopEntry:
        return self._stop_list.setdefault(
            (account_id, number), StopEntry(account_id, number, source, now)
        )

    async def add_stops(
        self, account_id: int, numbers: Sequence[str], source: str, now: float
    ) -> int:
        added = 0
        for number in numbers:
            if (account_id, number) not in self._stop_list:
                self._stop_list[(account_id, number)] = StopEntry(account_id, number, source, now)
                added += 1
        return added

    async def remove_stop(self, account_id: int, number: str) -> bool:
        return self._stop_list.pop((account_id, number), None) is not None

    async def stop_entries(self, account_id: int) -> list[StopEntry]:
        found = [e for e in self._stop_list.values() if e.account_id == account_id]
        return sorted(found, key=lambda e: (e.created_at, e.number))

    async def stop_page(self, account_id: int, query: StopPageQuery) -> list[StopEntry]:
        found = [
            e
            for e in self._stop_list.values()
            if e.account_id == account_id
            and (query.source is None or e.source == query.source)
            and (query.after is None or (e.created_at, e.number) < query.after)
        ]
        found.sort(key=lambda e: (e.created_at, e.number), reverse=True)
        return found[: query.limit]

    async def stopped_numbers(self, account_id: int, numbers: Iterable[str]) -> set[str]:
        return {n for n in numbers if (account_id, n) in self._stop_list}
