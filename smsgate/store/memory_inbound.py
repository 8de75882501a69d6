"""Inbound (MO) rows of `MemoryStore`: whole messages, and the parts of a concatenated
one until the last arrives, and the reads of MO routing and polling; the same semantics
as sql_inbound."""

from __future__ import annotations

from smsgate.core.ledger import EntryKind
from smsgate.services.inbound import (
    InboundMessage,
    InboundPart,
    InboundQuery,
    JoinParts,
    StoredInbound,
    stored,
)
from smsgate.services.inbound_plan import (
    NO_EFFECTS,
    STOP_ADD,
    MoEffects,
    charge_payer,
    charge_reference,
)
from smsgate.services.stoplist import SOURCE_INBOUND, StopEntry
from smsgate.store.memory_tables import MemoryTables, MoOutboxRow, SmppRow


class MemoryInbound(MemoryTables):
    async def add_inbound(self, mo: InboundMessage, effects: MoEffects = NO_EFFECTS) -> int:
        inbound_id = next(self._inbound_ids)
        self._inbound[inbound_id] = mo
        self._apply_effects(inbound_id, mo, effects)
        return inbound_id

    def _apply_effects(self, inbound_id: int, mo: InboundMessage, effects: MoEffects) -> None:
        """As sql_inbound_effects.apply_effects."""
        account_id = mo.account_id
        if account_id is None:
            return
        now = mo.received_at
        for target in effects.webhooks:
            row = MoOutboxRow(inbound_id, account_id, mo.source, target.url, target.shape, now, now)
            self._mo_outbox[next(self._mo_outbox_ids)] = row
        if effects.smpp:
            self._smpp_outbox[next(self._smpp_ids)] = SmppRow(account_id, "mo", None, inbound_id)
        payer = charge_payer(self._chain(account_id)) if effects.charge else None
        if payer is not None:
            charge = (payer, EntryKind.CHARGE, -effects.charge, charge_reference(inbound_id))
            self._move([charge], now, overdraw=True)
        if effects.stop is not None:
            command, number = effects.stop
            if command == STOP_ADD:
                entry = StopEntry(account_id, number, SOURCE_INBOUND, now)
                self._stop_list.setdefault((account_id, number), entry)
            else:
                self._stop_list.pop((account_id, number), None)

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
        return await self.add_inbound(*join([kept[seq].payload for seq in sorted(kept)]))

    async def reply_to(
        self, to: list[str], senders: list[str], since: float
    ) -> tuple[int, str | None] | None:
        found = [
            row.message
            for row in self._messages.values()
            if row.message.to in to
            and row.message.sender in senders
            and row.message.created_at >= since
        ]
        if not found:
            return None
        latest = max(found, key=lambda m: m.created_at)
        return latest.account_id, latest.reply_url

    async def inbound_messages(self, query: InboundQuery) -> list[StoredInbound]:
        forms = None
        if query.destination is not None:
            forms = {query.destination, query.destination.removeprefix("+")}
        sources = None
        if query.source is not None:
            sources = {query.source, query.source.removeprefix("+")}
        rows = []
        for inbound_id in sorted(self._inbound, reverse=True):
            mo = self._inbound[inbound_id]
            if (
                (query.account_id is not None and mo.account_id != query.account_id)
                or (query.unrouted and mo.account_id is not None)
                or (forms is not None and mo.destination not in forms)
                or (sources is not None and mo.source not in sources)
                or (query.keyword is not None and mo.keyword != query.keyword)
                or (query.since is not None and mo.received_at < query.since)
                or (query.until is not None and mo.received_at >= query.until)
                or (query.before_id is not None and inbound_id >= query.before_id)
            ):
                continue
            rows.append(stored(inbound_id, mo))
            if len(rows) == query.limit:
                break
        return rows

    async def inbound_message(self, inbound_id: int) -> StoredInbound | None:
        mo = self._inbound.get(inbound_id)
        return None if mo is None else stored(inbound_id, mo)
