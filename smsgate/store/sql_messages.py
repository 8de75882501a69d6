"""Reading messages and parts in SQL, and cancelling a scheduled message with its refund;
`SqlMessages` is SqlStore's part for them."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from smsgate.core.errors import Conflict, NotFound
from smsgate.core.ledger import EntryKind
from smsgate.core.messages import Message, Part, Status
from smsgate.services.ports import MessageQuery
from smsgate.store.records import message_from_row, part_from_row
from smsgate.store.schema import messages, parts
from smsgate.store.sql_base import SqlPart
from smsgate.store.sql_money import Purse
from smsgate.store.sql_outbox import add_notifications
from smsgate.store.sql_smpp import add_smpp_receipts


def message(conn: Connection, message_id: str) -> Message | None:
    row = (conn.execute(select(messages).where(messages.c.id == message_id))).first()
    return None if row is None else message_from_row(row._mapping)


def message_parts(conn: Connection, message_id: str) -> list[Part]:
    query = select(parts).where(parts.c.message_id == message_id).order_by(parts.c.seq)
    return [part_from_row(row._mapping) for row in conn.execute(query)]


def message_page(conn: Connection, account_id: int, query: MessageQuery) -> list[Message]:
    q = query
    found = select(messages).where(messages.c.account_id == account_id)
    if q.status is not None:
        found = found.where(messages.c.status == q.status.value)
    if q.batch_id is not None:
        found = found.where(messages.c.batch_id == q.batch_id)
    if q.since is not None:
        found = found.where(messages.c.created_at >= q.since)
    if q.before_id is not None:
        found = found.where(messages.c.id < q.before_id)
    if q.to is not None:
        found = found.where(messages.c.to == q.to)
    if q.until is not None:
        found = found.where(messages.c.created_at < q.until)
    if q.sender is not None:
        found = found.where(messages.c.sender == q.sender)
    if q.reference is not None:
        found = found.where(messages.c.reference == q.reference)
    found = found.order_by(messages.c.id.desc()).limit(q.limit)
    return [message_from_row(row._mapping) for row in conn.execute(found)]


def cancel(conn: Connection, message_id: str, now: float) -> Message:
    # A conditional UPDATE, so a claim racing with us either wins or loses whole.
    result = conn.execute(
        update(messages)
        .where(messages.c.id == message_id, messages.c.status == Status.SCHEDULED.value)
        .values(status=Status.CANCELLED.value, done_at=now)
        .returning(*messages.c)
    )
    row = result.first()
    if row is None:
        found = message(conn, message_id)
        if found is None:
            raise NotFound(f"no message {message_id}")
        raise Conflict(f"a {found.status} message cannot be cancelled")
    cancelled = message_from_row(row._mapping)
    if cancelled.cost > 0:
        purse = Purse.open(conn, [cancelled.payer_id])
        purse.move(cancelled.payer_id, EntryKind.REFUND, cancelled.cost, cancelled.id, now)
        purse.save(conn)
        conn.execute(update(messages).where(messages.c.id == message_id).values(cost=0))
        cancelled = replace(cancelled, cost=0)
    add_notifications(conn, [(cancelled.id, cancelled.callback_url)], now)
    if cancelled.registered_delivery:
        add_smpp_receipts(conn, [(cancelled.id, cancelled.account_id)], now)
    return cancelled


class SqlMessages(SqlPart):
    async def message(self, message_id: str) -> Message | None:
        return await self.connections.read(message, message_id)

    async def parts(self, message_id: str) -> list[Part]:
        return await self.connections.read(message_parts, message_id)

    async def messages(self, account_id: int, query: MessageQuery) -> list[Message]:
        return await self.connections.read(message_page, account_id, query)

    async def cancel(self, message_id: str, now: float) -> Message:
        return await self.connections.write(cancel, message_id, now)
