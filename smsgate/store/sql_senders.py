"""Sender ids in SQL: one row per (account, sender) in `senders`; `SqlSenders` is
SqlStore's part for them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from smsgate.core.errors import Conflict
from smsgate.services.senders import SenderId
from smsgate.store.records import record_from_row
from smsgate.store.schema_platform import senders
from smsgate.store.sql_base import SqlPart


def add_sender(conn: Connection, account_id: int, sender: str, status: str, now: float) -> SenderId:
    """Insert the row; Conflict when it exists (SqlSenders also maps a racing insert's
    IntegrityError to Conflict)."""
    taken = select(senders.c.id).where(
        senders.c.account_id == account_id, senders.c.sender == sender
    )
    if conn.execute(taken).first() is not None:
        raise _exists(sender)
    values = {"account_id": account_id, "sender": sender, "status": status, "created_at": now}
    row = conn.execute(insert(senders).values(values).returning(*senders.c)).one()
    return record_from_row(SenderId, row._mapping)


def _exists(sender: str) -> Conflict:
    return Conflict(f"sender id {sender!r} exists already", field="sender")


def account_senders(conn: Connection, account_id: int) -> list[SenderId]:
    query = select(senders).where(senders.c.account_id == account_id).order_by(senders.c.id)
    return [record_from_row(SenderId, row._mapping) for row in conn.execute(query)]


def delete_senders(conn: Connection, account_id: int, ids: Sequence[int]) -> int:
    if not ids:
        return 0
    result = conn.execute(
        delete(senders).where(senders.c.account_id == account_id, senders.c.id.in_(list(ids)))
    )
    return int(result.rowcount)


class SqlSenders(SqlPart):
    async def add_sender(self, account_id: int, sender: str, status: str, now: float) -> SenderId:
        try:
            return await self.connections.write(add_sender, account_id, sender, status, now)
        except IntegrityError as exc:
            raise _exists(sender) from exc

    async def senders(self, account_id: int) -> list[SenderId]:
        return await self.connections.read(account_senders, account_id)

    async def delete_senders(self, account_id: int, ids: Sequence[int]) -> int:
        return await self.connections.write(delete_senders, account_id, ids)
