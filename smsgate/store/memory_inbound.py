"""Inbound (MO) rows of `MemoryStore`: whole messages, and the parts of a concatenated
one until the last arrives; the same semantics as sql_inbound."""

from __future__ import annotations

from smsgate.services.inbound import InboundMessage, InboundPart, JoinParts
from smsgate.store.memory_tables import MemoryTables, SmppRow


class MemoryInbound(MemoryTables):
    async def add_unrouted_inbound(self, mo: InboundMessage) -> int:
        return self._insert_inbound(mo)

    def _insert_inbound(self, mo: InboundMessage) -> int:
        inbound_id = next(self._inbound_ids)
        self._inbound[inbound_id] = mo
        return inbound_id

    async def add_inbound_part(
        self, part: InboundPart, join: JoinParts, stale_before: float
    ) -> int | None:
        for key, kept in list(self._inbound_parts.items()):
            fresh = {seq: p for seq, p in kept.items() if p.received_at >= stale_before}
            if fresh:
                self._inbound_parts[key] = fresh
            else:
                del self._inbound_parts[key]
        kept = self._inbound_parts.setdefault(part.message, {})
        kept[part.sequence] = part
        if len(kept) < part.total:
            return None
        del self._inbound_parts[part.message]
        return await self.add_unrouted_inbound(
            part.joined(*join([kept[seq].payload for seq in sorted(kept)]))
        )

    async def add_smpp_inbound(self, mo: InboundMessage) -> int:
        if mo.account_id is None:
            raise ValueError("an MO for SMPP binds is routed to an account")
        inbound_id = self._insert_inbound(mo)
        self._smpp_outbox[next(self._smpp_ids)] = SmppRow(mo.account_id, "mo", None, inbound_id)
        return inbound_id
