"""What the console's health page reads of the database: its size and the pending rows
of each outbox; `SqlHealth` is SqlStore's part for them."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection

from smsgate.store.schema import outbox
from smsgate.store.schema_inbound import inbound_outbox, smpp_outbox
from smsgate.store.sql_base import SqlPart
from smsgate.store.sql_claims import PENDING

_OUTBOXES = {"webhooks": outbox, "mo_webhooks": inbound_outbox, "smpp": smpp_outbox}


def store_size(conn: Connection) -> int:
    if conn.dialect.name == "postgresql":
        query = text("SELECT pg_database_size(current_database())")
        return int(conn.execute(query).scalar_one())
    pages = conn.execute(text("PRAGMA page_count")).scalar_one()
    size = conn.execute(text("PRAGMA page_size")).scalar_one()
    return int(pages) * int(size)


def outbox_depths(conn: Connection) -> dict[str, int]:
    depths = {}
    for name, table in _OUTBOXES.items():
        query = select(func.count()).select_from(table).where(table.c.state == PENDING)
        depths[name] = int(conn.execute(query).scalar_one())
    return depths


class SqlHealth(SqlPart):
    async def store_size(self) -> int | None:
        return await self.connections.read(store_size)

    async def outbox_depths(self) -> dict[str, int]:
        return await self.connections.read(outbox_depths)
