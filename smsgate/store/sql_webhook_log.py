"""An account's webhook deliveries in SQL: the newest rows of `outbox` (its messages'
receipts) and `inbound_outbox` (its MO) with their last answers. `SqlWebhookLog` is
SqlStore's part for them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from smsgate.services.account_webhooks import MO, RECEIPT, WebhookDelivery
from smsgate.store.schema import messages, outbox
from smsgate.store.schema_inbound import inbound_outbox
from smsgate.store.sql_base import SqlPart


def webhook_deliveries(conn: Connection, account_id: int, limit: int) -> list[WebhookDelivery]:
    o, i = outbox.c, inbound_outbox.c
    receipts = (
        select(o.id, o.message_id, o.url, o.state, o.attempts, o.created_at, o.next_at)
        .add_columns(o.last_status, o.last_error)
        .select_from(outbox.join(messages, messages.c.id == o.message_id))
        .where(messages.c.account_id == account_id)
        .order_by(o.id.desc())
        .limit(limit)
    )
    mo = (
        select(i.id, i.inbound_id, i.url, i.state, i.attempts, i.created_at, i.next_at)
        .add_columns(i.last_status, i.last_error)
        .where(i.account_id == account_id)
        .order_by(i.id.desc())
        .limit(limit)
    )
    found = [
        WebhookDelivery(
            kind,
            int(row_id),
            str(subject),
            str(url),
            str(state),
            int(attempts),
            float(created_at),
            float(next_at),
            None if status is None else int(status),
            None if error is None else str(error),
        )
        for kind, query in ((RECEIPT, receipts), (MO, mo))
        for row_id, subject, url, state, attempts, created_at, next_at, status, error in (
            conn.execute(query)
        )
    ]
    found.sort(key=lambda d: (d.created_at, d.id), reverse=True)
    return found[:limit]


class SqlWebhookLog(SqlPart):
    async def webhook_deliveries(self, account_id: int, limit: int) -> list[WebhookDelivery]:
        return await self.connections.read(webhook_deliveries, account_id, limit)
