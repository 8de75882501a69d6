"""Retention of `MemoryStore`: the same deletions and aggregates as sql_retention."""

from __future__ import annotations

from collections.abc import Sequence

from smsgate.core.messages import FINAL, Status
from smsgate.services.retention import BUCKET, DAY, Pruned
from smsgate.services.statistics import MoTotal, StatsRow
from smsgate.store.memory_tables import PENDING, MemoryTables
from smsgate.store.rules import day_of


class MemoryRetention(MemoryTables):
    async def prune(self, before: float, limit: int) -> Pruned:
        return Pruned(self._prune_messages(before, limit), self._prune_inbound(before, limit))

    def _prune_messages(self, before: float, limit: int) -> int:
        waiting: set[str | None] = {
            r.message_id for r in self._outbox.values() if r.state == PENDING
        }
        waiting |= {r.message_id for r in self._smpp_outbox.values() if r.state == PENDING}
        old = sorted(
            m.id
            for m in (row.message for row in self._messages.values())
            if m.created_at < before and m.status in FINAL and m.id not in waiting
        )[:limit]
        for message_id in old:
            m = self._messages.pop(message_id).message
            self._take_out_hour(m)
            connectors = [p.connector for p in self._parts.pop(m.id, {}).values() if p.connector]
            key = (
                m.account_id,
                int(m.created_at // BUCKET) * BUCKET,
                min(connectors) if connectors else "",
                m.status.value,
                m.currency,
            )
            total = self._message_aggregates.setdefault(key, [0, 0, 0])
            total[0] += 1
            total[1] += m.parts
            total[2] += m.cost
            batch = self._batches.get(m.batch_id)
            if batch is not None:
                batch.remove(m.id)
                if not batch:
                    del self._batches[m.batch_id]
                    for ref, batch_id in list(self._references.items()):
                        if batch_id == m.batch_id:
                            del self._references[ref]
        gone = set(old)
        for table in (self._outbox, self._smpp_outbox):
            for row_id in [i for i, r in table.items() if r.message_id in gone]:
                del table[row_id]
        return len(old)

    def _prune_inbound(self, before: float, limit: int) -> int:
        waiting: set[int | None] = {
            r.inbound_id for r in self._mo_outbox.values() if r.state == PENDING
        }
        waiting |= {r.inbound_id for r in self._smpp_outbox.values() if r.state == PENDING}
        old = sorted(
            i for i, mo in self._inbound.items() if mo.received_at < before and i not in waiting
        )[:limit]
        for inbound_id in old:
            mo = self._inbound.pop(inbound_id)
            if mo.account_id is not None:
                key = (mo.account_id, int(mo.received_at // BUCKET) * BUCKET)
                self._inbound_aggregates[key] = self._inbound_aggregates.get(key, 0) + 1
        gone = set(old)
        for mo_row in [i for i, r in self._mo_outbox.items() if r.inbound_id in gone]:
            del self._mo_outbox[mo_row]
        for smpp_row in [i for i, r in self._smpp_outbox.items() if r.inbound_id in gone]:
            del self._smpp_outbox[smpp_row]
        return len(old)

    async def retained_message_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[StatsRow]:
        wanted = set(account_ids)
        totals: dict[tuple[int, int, str, str, str], list[int]] = {}
        for (account_id, bucket, connector, status, currency), (
            n,
            p,
            c,
        ) in self._message_aggregates.items():
            if account_id in wanted and since <= bucket < until:
                key = (account_id, (bucket + utc_offset) // DAY, connector, status, currency)
                total = totals.setdefault(key, [0, 0, 0])
                total[0], total[1], total[2] = total[0] + n, total[1] + p, total[2] + c
        return [
            StatsRow(a, day_of(day), name or None, Status(status), currency, *total)
            for (a, day, name, status, currency), total in totals.items()
        ]

    async def retained_inbound_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[MoTotal]:
        totals: dict[tuple[int, int], int] = {}
        for (account_id, bucket), count in self._inbound_aggregates.items():
            if account_id in account_ids and since <= bucket < until:
                key = (account_id, (bucket + utc_offset) // DAY)
                totals[key] = totals.get(key, 0) + count
        return [MoTotal(a, day_of(day), n) for (a, day), n in totals.items()]
