"""The smpp_outbox queue of SMPP customers in `MemoryStore`; the same semantics as
sql_smpp (receipts are queued by `MemoryTables._finish`, MO by memory_inbound)."""

from __future__ import annotations

from collections.abc import Sequence

from smsgate.services.smpp_customers import InboundSms, SmppOutboxItem
from smsgate.store.memory_tables import PENDING, MemoryTables


class MemorySmpp(MemoryTables):
    async def smpp_waiting_accounts(self) -> list[int]:
        return sorted({r.account_id for r in self._smpp_outbox.values() if r.state == PENDING})

    async def smpp_pending(self, account_id: int, limit: int) -> list[SmppOutboxItem]:
        found: list[SmppOutboxItem] = []
        for row_id, row in sorted(self._smpp_outbox.items()):
            if len(found) >= limit:
                break
            if row.account_id != account_id or row.state != PENDING:
                continue
            queued = None if row.message_id is None else self._messages.get(row.message_id)
            message = None if queued is None else queued.message
            found.append(
                SmppOutboxItem(
                    row_id, account_id, row.kind, message, self._mo(row.inbound_id), row.attempts
                )
            )
        return found

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
        for row_id in attempted:
            if row_id in self._smpp_outbox:
                self._smpp_outbox[row_id].attempts += 1
