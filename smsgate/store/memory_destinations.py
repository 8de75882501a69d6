"""Message totals by destination of `MemoryStore`: the same answers as sql_destinations."""

from __future__ import annotations

from collections.abc import Sequence

from smsgate.core.messages import Status
from smsgate.services.statistics import DAY, PREFIX, DestinationRow
from smsgate.store.memory_tables import MemoryTables
from smsgate.store.rules import day_of


class MemoryDestinations(MemoryTables):
    async def destination_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[DestinationRow]:
        wanted = set(account_ids)
        totals: dict[tuple[int, int, str, Status, str], list[int]] = {}
        for row in self._messages.values():
            m = row.message
            if m.account_id not in wanted or not since <= m.created_at < until:
                continue
            day = int((m.created_at + utc_offset) // DAY)
            key = (m.account_id, day, m.to[:PREFIX], m.status, m.currency)
            total = totals.setdefault(key, [0, 0, 0])
            total[0] += 1
            total[1] += m.parts
            total[2] += m.cost
        return [
            DestinationRow(account_id, day_of(day), prefix, status, currency, *total)
            for (account_id, day, prefix, status, currency), total in totals.items()
        ]
