"""The webhook outbox in SQL: rows written with a final status, read and updated by the sender.

An outbox row is written in the transaction that makes its message final, so a
notification is never lost and never announces something that was rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from smsgate.services.ports import Notification
from smsgate.store.records import notification_from_row
from smsgate.store.schema import outbox, webhook_attempts

PENDING = "pending"
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
    if rows:
        conn.execute(insert(outbox), rows)


def due_notifications(conn: Connection, now: float, limit: int) -> list[Notification]:
    query = (
        select(outbox)
        .where(outbox.c.state == PENDING, outbox.c.next_at <= now)
        .order_by(outbox.c.next_at, outbox.c.id)
        .limit(limit)
    )
    return [notification_from_row(row._mapping) for row in conn.execute(query)]


def record_notification(
    conn: Connection,
    notification_id: int,
    *,
    delivered: bool,
    status_code: int | None,
    error: str | None,
    next_at: float | None,
    now: float,
) -> None:
    exists = conn.execute(select(outbox.c.id).where(outbox.c.id == notification_id))
    if exists.first() is None:
        return
    conn.execute(
        insert(webhook_attempts).values(
            outbox_id=notification_id, at=now, status_code=status_code, error=error
        )
    )
    state = DELIVERED if delivered else (PENDING if next_at is not None else FAILED)
    values: dict[str, object] = {
        "state": state,
        "attempts": outbox.c.attempts + 1,
        "last_status": status_code,
        "last_error": error,
    }
    if next_at is not None and not delivered:
        values["next_at"] = next_at
    conn.execute(update(outbox).where(outbox.c.id == notification_id).values(values))
