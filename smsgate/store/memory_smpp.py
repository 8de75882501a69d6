"""The smpp_outbox queue of SMPP customers in `MemoryStore`, claimed as memory_claims
says; the same semantics as sql_smpp (receipts are queued by `MemoryTables._finish`, MO
by memory_inbound)."""

from __future__ import annotations

from collections.abc import Sequence

from smsgate.services.smpp_customers import InboundSms, SmppOutboxItem
from smsgate.store import memory_claims as claims
from smsgate.store.memory_tables import PENDING, MemoryTables, SmppRow


class MemorySmpp(MemoryTables):
    async def smpp_waiting_accounts(self) -> list[int]:
        return sorted(
            {
                r.account_id
                for r in self._smpp_outbox.values()
                if r.state == PENDING and claims.claimable(r, None, self._nodes)
            }
        )

    async def smpp_pending(self, account_id: int, limit: int) -> list[SmppOutboxItem]:
        return [self._item(i, row) for i, row in self._smpp_head(account_id, limit, None)]

    async def smpp_claim(
        self, account_id: int, limit: int, node: str, lease: float
    ) -> list[SmppOutboxItem]:
        head = self._smpp_head(account_id, limit, node)
        for _, row in head:
            claims.take(row, node, lease)
        return [self._item(i, row) for i, row in head]

    async def smpp_release(self, node: str) -> int:
        return claims.release(self._smpp_outbox.values(), node)

    def _smpp_head(
        self, account_id: int, limit: int, node: str | None
    ) -> list[tuple[int, SmppRow]]:
        """The account's oldest pending rows (those `node` may claim, if given)."""
        found: list[tuple[int, SmppRow]] = []
        for row_id, row in sorted(self._smpp_outbox.items()):
            if len(found) >= limit:
                break
            if row.account_id != account_id or row.state != PENDING:
                continue
            if node is None or claims.claimable(row, node, self._nodes):
                found.append((row_id, row))
        return found

    def _item(self, row_id: int, row: SmppRow) -> SmppOutboxItem:
        queued = None if row.message_id is None else self._messages.get(row.message_id)
        message = None if queued is None else queued.message
        mo = self._mo(row.inbound_id)
        return SmppOutboxItem(row_id, row.account_id, row.kind, message, mo, row.attempts)

    def _mo(self, row_id: int | None) -> InboundSms | None:
        mo = None if row_id is None else self._inbound.get(row_id)
        if row_id is None or mo is None:
            return None
        return InboundSms(
            row_id,
            mo.source,
            mo.destination,
            mo.text,
            mo.encoding,
            mo.received_at,
            parts=mo.parts,
            flag=mo.flag,
        )

    async def smpp_handed_over(
        self, delivered: Sequence[int], attempted: Sequence[int], now: float
    ) -> None:
        for row_id in delivered:
            row = self._smpp_outbox.get(row_id)
            if row is not None and row.state == PENDING:
                row.state, row.delivered_at = "delivered", now
                row.attempts += 1
                claims.clear(row)
        for row_id in attempted:
            if (row := self._smpp_outbox.get(row_id)) is not None:
                row.attempts += 1
                claims.clear(row)
