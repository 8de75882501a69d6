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
    """The page's ids first, from one index without reading the rows, then only those
    rows. The index is chosen here, not left to a planner without statistics: a recipient
    or a batch has its own (few rows, then sorted); a period is read from the account's
    creation times (then sorted) unless it ends nearer the newest message than the oldest;
    otherwise the account's ids newest first, within the status, sender or reference
    when one is asked for."""
    q, m = query, messages.c
    selective = q.to is not None or q.batch_id is not None
    by_time = not selective and _by_creation_time(conn, account_id, q)
    # `column + 0` is the same value, but no index is read for it.
    account = m.account_id + 0 if selective else m.account_id
    created_at = m.created_at if by_time else m.created_at + 0
    ids = select(m.id).where(account == account_id)
    if q.to is not None:
        ids = ids.where(m.to == q.to)
    if q.batch_id is not None:
        ids = ids.where(m.batch_id == q.batch_id)
    if q.since is not None:
        ids = ids.where(created_at >= q.since)
    if q.until is not None:
        ids = ids.where(created_at < q.until)
    if q.before_id is not None:
        ids = ids.where(m.id < q.before_id)
    if q.status is not None:
        ids = ids.where(m.status == q.status.value)
    if q.sender is not None:
        ids = ids.where(m.sender == q.sender)
    if q.reference is not None:
        ids = ids.where(m.reference == q.reference)
    # In a period, `id || ''` (the same order) keeps a planner from reading the ids
    # newest first instead, for the order alone.
    order = (m.id + "") if by_time else m.id
    page = ids.order_by(order.desc()).limit(q.limit).scalar_subquery()
    found = select(messages).where(m.id.in_(page)).order_by(m.id.desc())
    return [message_from_row(row._mapping) for row in conn.execute(found)]


def _by_creation_time(conn: Connection, account_id: int, q: MessageQuery) -> bool:
    """Whether reading the period's ids costs less than reading ids newest first until
    the period: always with both ends, and with only an end nearer the oldest message."""
    if q.until is None:
        return False
    if q.since is not None:
        return True
    times = select(messages.c.created_at).where(messages.c.account_id == account_id)
    oldest = times.order_by(messages.c.created_at).limit(1).scalar_subquery()
    newest = times.order_by(messages.c.created_at.desc()).limit(1).scalar_subquery()
    row = conn.execute(select(oldest, newest)).one()
    if row[0] is None:
        return False
    return bool(q.until - row[0] < row[1] - q.until)


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
