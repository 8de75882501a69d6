"""Statistics of `MemoryStore`: the same answers as sql_statistics, from its tables."""

from __future__ import annotations

from collections.abc import Sequence

from smsgate.core.messages import Message, Status
from smsgate.services.statistics import DAY, MoTotal, StatsRow
from smsgate.store.memory_tables import MemoryTables
from smsgate.store.rules import day_of

_Key = tuple[int, int, str | None, Status, str]


class MemoryStatistics(MemoryTables):
    async def messages_with_reference(self, account_id: int, reference: str) -> list[Message]:
        batch_id = self._references.get((account_id, reference))
        if batch_id is None:
            return []
        return sorted(
            (self._messages[i].message for i in self._batches[batch_id]), key=lambda m: m.id
        )

    async def message_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[StatsRow]:
        wanted = set(account_ids)
        totals: dict[_Key, list[int]] = {}
        for row in self._messages.values():
            m = row.message
            if m.account_id not in wanted or not since <= m.created_at < until:
                continue
            connectors = [p.connector for p in self._parts.get(m.id, {}).values() if p.connector]
            key = (
                m.account_id,
                int((m.created_at + utc_offset) // DAY),
                min(connectors) if connectors else None,
                m.status,
                m.currency,
            )
            total = totals.setdefault(key, [0, 0, 0])
            total[0] += 1
            total[1] += m.parts
            total[2] += m.cost
        return [
            StatsRow(account_id, day_of(day), connector, status, currency, *total)
            for (account_id, day, connector, status, currency), total in totals.items()
        ]

    async def inbound_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[MoTotal]:
        wanted = set(account_ids)
        totals: dict[tuple[int, int], int] = {}
        for mo in self._inbound.values():
            if mo.account_id not in wanted or not since <= mo.received_at < until:
                continue
            key = (mo.account_id, int((mo.received_at + utc_offset) // DAY))
            totals[key] = totals.get(key, 0) + 1
        return [MoTotal(a, day_of(day), count) for (a, day), count in totals.items()]
