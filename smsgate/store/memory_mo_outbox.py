"""The MO webhook outbox of `MemoryStore` (`_mo_outbox`, written with their MO by
MemoryInbound), claimed as memory_claims says; the same semantics as sql_mo_outbox."""

from __future__ import annotations

from collections.abc import Sequence

from smsgate.services.inbound import stored
from smsgate.services.inbound_plan import SMSPARTNER_REPLY
from smsgate.services.mo_webhooks import MoDelivery, reply_forms
from smsgate.services.ports import NotificationAttempt
from smsgate.store import memory_claims as claims
from smsgate.store.memory_tables import PENDING, MemoryTables, MoOutboxRow


class MemoryMoOutbox(MemoryTables):
    async def due_mo_webhooks(self, now: float, limit: int) -> list[MoDelivery]:
        return [
            self._delivery(row_id, self._mo_outbox[row_id])
            for row_id in self._due_mo(now, limit, None)
        ]

    async def claim_mo_webhooks(
        self, now: float, limit: int, node: str, lease: float
    ) -> list[MoDelivery]:
        due = self._due_mo(now, limit, node)
        for row_id in due:
            claims.take(self._mo_outbox[row_id], node, lease)
        return [self._delivery(row_id, self._mo_outbox[row_id]) for row_id in due]

    async def release_mo_webhooks(self, node: str) -> int:
        return claims.release(self._mo_outbox.values(), node)

    def _due_mo(self, now: float, limit: int, node: str | None) -> list[int]:
        """The oldest pending row of each key, if due by `now` (and `node` may claim it)."""
        oldest: dict[tuple[int, str, str], int] = {}
        for row_id, row in sorted(self._mo_outbox.items()):
            if row.state == PENDING:
                oldest.setdefault((row.account_id, row.source, row.url), row_id)
        due = sorted(
            (row.next_at, row_id)
            for row_id in oldest.values()
            if (row := self._mo_outbox[row_id]).next_at <= now
            and (node is None or claims.claimable(row, node, self._nodes))
        )[:limit]
        return [row_id for _, row_id in due]

    def _delivery(self, row_id: int, row: MoOutboxRow) -> MoDelivery:
        mo = stored(row.inbound_id, self._inbound[row.inbound_id])
        reply_id = None
        if row.shape == SMSPARTNER_REPLY:
            to, senders = reply_forms(mo)
            sends = [
                q.message
                for q in self._messages.values()
                if q.message.to in to
                and q.message.sender in senders
                and q.message.account_id == mo.account_id
                and q.message.reply_url == row.url
                and q.message.created_at <= mo.received_at
            ]
            if sends:
                reply_id = max(sends, key=lambda m: m.created_at).batch_id
        return MoDelivery(row_id, row.url, row.shape, row.attempts, row.next_at, mo, reply_id)

    async def record_mo_webhooks(self, attempts: Sequence[NotificationAttempt], now: float) -> None:
        for attempt in attempts:
            row = self._mo_outbox.get(attempt.id)
            if row is not None and row.state == PENDING:
                claims.record_attempt(row, attempt)
