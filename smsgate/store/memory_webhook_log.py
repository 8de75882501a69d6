"""An account's webhook deliveries in `MemoryStore`; the same answers as sql_webhook_log."""

from __future__ import annotations

from smsgate.services.account_webhooks import MO, RECEIPT, WebhookDelivery
from smsgate.store.memory_tables import MemoryTables


class MemoryWebhookLog(MemoryTables):
    async def webhook_deliveries(self, account_id: int, limit: int) -> list[WebhookDelivery]:
        found = [
            WebhookDelivery(
                RECEIPT,
                row_id,
                item.message_id,
                item.url,
                item.state,
                item.attempts,
                item.created_at,
                item.next_at,
                item.last_status,
                item.last_error,
            )
            for row_id, item in self._outbox.items()
            if (queued := self._messages.get(item.message_id)) is not None
            and queued.message.account_id == account_id
        ]
        found += [
            WebhookDelivery(
                MO,
                row_id,
                str(row.inbound_id),
                row.url,
                row.state,
                row.attempts,
                row.created_at,
                row.next_at,
                row.last_status,
                row.last_error,
            )
            for row_id, row in self._mo_outbox.items()
            if row.account_id == account_id
        ]
        found.sort(key=lambda d: (d.created_at, d.id), reverse=True)
        return found[:limit]
