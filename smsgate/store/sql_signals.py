"""Signals between the processes of one SQLite file: a signal is a row of `signals`, and
each listener polls for the rows newer than the last it saw (PostgreSQL has NOTIFY).
Rows older than KEEP_SECONDS are deleted by the next signal."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from smsgate.store.schema_platform import signals

KEEP_SECONDS = 60.0


def add_signal(conn: Connection, channel: str, payload: str, now: float) -> None:
    conn.execute(delete(signals).where(signals.c.created_at < now - KEEP_SECONDS))
    conn.execute(insert(signals).values(channel=channel, payload=payload, created_at=now))


def last_signal_id(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(signals.c.id), 0))).scalar_one())


def signals_after(conn: Connection, after: int, channels: list[str]) -> list[tuple[int, str, str]]:
    """The (id, channel, payload) of the signals on `channels` newer than `after`, oldest
    first."""
    query = (
        select(signals.c.id, signals.c.channel, signals.c.payload)
        .where(signals.c.id > after, signals.c.channel.in_(channels))
        .order_by(signals.c.id)
    )
    return [(row.id, row.channel, row.payload) for row in conn.execute(query)]
