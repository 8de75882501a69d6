"""The webhook outbox in SQL: a row is written in the transaction that makes its message
final (never lost, never announcing a rollback), claimed by the node that POSTs it
(sql_claims), and updated with each attempt. `SqlOutbox` is SqlStore's part for the
sender's reads and writes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from sqlalchemy import Float, bindparam, func, insert, select
from sqlalchemy.engine import Connection

from smsgate.services.ports import Notification, NotificationAttempt
from smsgate.store.records import message_from_row, notification_from_row
from smsgate.store.schema import messages, outbox, webhook_attempts
from smsgate.store.sql_base import SqlPart
from smsgate.store.sql_claims import (
    PENDING,
    UNCLAIMED,
    any_due,
    claim_rows,
    claimable,
    release_claims,
)
from smsgate.store.sql_rows import insert_rows, update_by_id

DELIVERED = "delivered"
FAILED = "failed"


def add_notifications(
    conn: Connection, targets: Iterable[tuple[str, str | None]], now: float
) -> None:
    """Queue a notification for each (message id, callback url) that has a url."""
    rows = [
        {
            "message_id": message_id,
            "url": url,
            "state": PENDING,
            "attempts": 0,
            "next_at": now,
            "created_at": now,
            "last_status": None,
            "last_error": None,
        }
        for message_id, url in targets
        if url
    ]
    insert_rows(conn, outbox, rows)


_RECORD = update_by_id(
    outbox,
    "o_id",
    state=bindparam("o_state"),
    attempts=outbox.c.attempts + 1,
    last_status=bindparam("o_status"),
    last_error=bindparam("o_error"),
    next_at=func.coalesce(bindparam("o_next_at", type_=Float), outbox.c.next_at),
    **UNCLAIMED,
)


def due_notifications(conn: Connection, now: float, limit: int) -> list[Notification]:
    query = (
        select(outbox)
        .where(outbox.c.state == PENDING, outbox.c.next_at <= now)
        .order_by(outbox.c.next_at, outbox.c.id)
        .limit(limit)
    )
    return with_messages(conn, [notification_from_row(row._mapping) for row in conn.execute(query)])


def claim_notifications(
    conn: Connection, now: float, limit: int, node: str, lease: float
) -> list[Notification]:
    """Claim the notifications due by `now` that nobody holds, oldest first (their
    messages are read after the commit, by `with_messages`)."""
    pick = (
        select(outbox.c.id)
        .where(outbox.c.state == PENDING, outbox.c.next_at <= now, claimable(conn, outbox, node))
        .order_by(outbox.c.next_at, outbox.c.id)
        .limit(limit)
    )
    claimed = [
        notification_from_row(row._mapping) for row in claim_rows(conn, outbox, pick, node, lease)
    ]
    return sorted(claimed, key=lambda n: (n.next_at, n.id))


def with_messages(conn: Connection, due: list[Notification]) -> list[Notification]:
    """The notifications with their messages (None for a message that is gone)."""
    if not due:
        return []
    wanted = sorted({n.message_id for n in due})
    found = {
        str(row.id): message_from_row(row._mapping)
        for row in conn.execute(select(messages).where(messages.c.id.in_(wanted)))
    }
    return [replace(n, message=found.get(n.message_id)) for n in due]


def record_notifications(
    conn: Connection, attempts: Sequence[NotificationAttempt], now: float
) -> None:
    ids = sorted({a.id for a in attempts})
    existing = {
        int(row.id) for row in conn.execute(select(outbox.c.id).where(outbox.c.id.in_(ids)))
    }
    known = [a for a in attempts if a.id in existing]
    if not known:
        return
    conn.execute(
        insert(webhook_attempts),
        [
            {"outbox_id": a.id, "at": now, "status_code": a.status_code, "error": a.error}
            for a in known
        ],
    )
    conn.execute(
        _RECORD,
        [
            {
                "o_id": a.id,
                "o_state": _state(a),
                "o_status": a.status_code,
                "o_error": a.error,
                "o_next_at": None if a.delivered else a.next_at,
            }
            for a in known
        ],
    )


def _state(attempt: NotificationAttempt) -> str:
    if attempt.delivered:
        return DELIVERED
    return PENDING if attempt.next_at is not None else FAILED


class SqlOutbox(SqlPart):
    async def due_notifications(self, now: float, limit: int) -> list[Notification]:
        return await self.connections.read(due_notifications, now, limit)

    async def claim_notifications(
        self, now: float, limit: int, node: str, lease: float
    ) -> list[Notification]:
        if not await self.connections.read(any_due, outbox, now):
            return []
        claimed = await self.connections.write(claim_notifications, now, limit, node, lease)
        return await self.connections.read(with_messages, claimed) if claimed else []

    async def release_notifications(self, node: str) -> int:
        return await self.connections.write(release_claims, outbox, node)

    async def record_notifications(
        self, attempts: Sequence[NotificationAttempt], now: float
    ) -> None:
        if attempts:
            await self.connections.write(record_notifications, attempts, now)
