"""Gateway nodes and their leases in SQL, on the database's clock so that a node whose
clock is off cannot take a live node's lease; `SqlNodes` is SqlStore's part for them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Float, delete, func, insert, literal_column, select, update
from sqlalchemy.engine import Connection

from smsgate.services.nodes import Node
from smsgate.store.records import record_from_row
from smsgate.store.schema_platform import nodes
from smsgate.store.sql_base import SqlPart


def database_now(conn: Connection) -> ColumnElement[Any]:
    """The database's time in seconds since the epoch."""
    if conn.dialect.name == "postgresql":
        return func.extract("epoch", func.clock_timestamp()).cast(Float)
    return literal_column("((julianday('now') - 2440587.5) * 86400.0)", Float)


def live_node_ids(conn: Connection) -> Any:
    """A subquery of the ids of the nodes whose lease has not run out."""
    return select(nodes.c.id).where(nodes.c.lease_until >= database_now(conn))


def register_node(conn: Connection, node_id: str, host: str, pid: int, lease: float) -> None:
    now = conn.execute(select(database_now(conn))).scalar_one()
    conn.execute(delete(nodes).where(nodes.c.id == node_id))
    values = {
        "id": node_id,
        "host": host,
        "pid": pid,
        "started_at": now,
        "lease_until": now + lease,
    }
    conn.execute(insert(nodes).values(values))


def renew_node(conn: Connection, node_id: str, pid: int, lease: float) -> bool:
    statement = (
        update(nodes)
        .where(nodes.c.id == node_id, nodes.c.pid == pid)
        .values(lease_until=database_now(conn) + lease)
    )
    return bool(conn.execute(statement).rowcount)


def drop_node(conn: Connection, node_id: str, pid: int) -> None:
    conn.execute(delete(nodes).where(nodes.c.id == node_id, nodes.c.pid == pid))


def live_nodes(conn: Connection) -> list[Node]:
    query = select(nodes).where(nodes.c.lease_until >= database_now(conn)).order_by(nodes.c.id)
    return [record_from_row(Node, row._mapping) for row in conn.execute(query)]


class SqlNodes(SqlPart):
    async def register_node(self, node_id: str, host: str, pid: int, lease: float) -> None:
        await self.connections.write(register_node, node_id, host, pid, lease)

    async def renew_node(self, node_id: str, pid: int, lease: float) -> bool:
        return await self.connections.write(renew_node, node_id, pid, lease)

    async def drop_node(self, node_id: str, pid: int) -> None:
        await self.connections.write(drop_node, node_id, pid)

    async def live_nodes(self) -> list[Node]:
        return await self.connections.read(live_nodes)

    async def signal(self, channel: str, payload: str = "") -> None:
        await self.connections.notify(channel, payload)

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        await self.connections.listen(channel, callback)
