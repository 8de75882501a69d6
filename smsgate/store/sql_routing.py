"""Connector definitions, routes and inbound (MO) rows in SQL.

Connector settings are stored as a JSON object in `connectors.settings`. The parts of a
concatenated MO wait in `inbound_parts`; on PostgreSQL the parts of one message are
added under a transaction-level advisory lock of their message, so two parts arriving
on two binds at once cannot both miss the other (SQLite's writer lock does the same).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from smsgate.core.errors import Conflict
from smsgate.core.routing import Route
from smsgate.services.connectors import ConnectorDefinition
from smsgate.services.inbound import InboundPart, JoinParts
from smsgate.store.schema import connectors, inbound, inbound_parts, routes

if TYPE_CHECKING:  # sql imports this module
    from smsgate.store.sql import Connections


def _definition(row: Row[tuple[object, ...]]) -> ConnectorDefinition:
    m = row._mapping
    return ConnectorDefinition(
        name=str(m["name"]),
        type=str(m["type"]),
        settings=json.loads(str(m["settings"])),
        enabled=bool(m["enabled"]),
        created_at=float(m["created_at"]),
        updated_at=float(m["updated_at"]),
    )


def add_connector(conn: Connection, definition: ConnectorDefinition) -> None:
    taken = conn.execute(
        select(connectors.c.name).where(connectors.c.name == definition.name)
    ).first()
    if taken is not None:
        raise Conflict(f"a connector named {definition.name!r} exists", field="name")
    conn.execute(
        insert(connectors).values(
            name=definition.name,
            type=definition.type,
            settings=json.dumps(dict(definition.settings), sort_keys=True),
            enabled=definition.enabled,
            created_at=definition.created_at,
            updated_at=definition.updated_at,
        )
    )


def connector(conn: Connection, name: str) -> ConnectorDefinition | None:
    row = conn.execute(select(connectors).where(connectors.c.name == name)).first()
    return _definition(row) if row is not None else None


def all_connectors(conn: Connection) -> list[ConnectorDefinition]:
    return [
        _definition(row) for row in conn.execute(select(connectors).order_by(connectors.c.name))
    ]


def set_connector_enabled(conn: Connection, name: str, enabled: bool, now: float) -> bool:
    result = conn.execute(
        update(connectors).where(connectors.c.name == name).values(enabled=enabled, updated_at=now)
    )
    return bool(result.rowcount)


def remove_connector(conn: Connection, name: str) -> bool:
    return bool(conn.execute(delete(connectors).where(connectors.c.name == name)).rowcount)


def _route(row: Row[tuple[object, ...]]) -> Route:
    m = row._mapping
    account_id = m["account_id"]
    return Route(
        id=int(m["id"]),
        prefix=str(m["prefix"]),
        connector=str(m["connector"]),
        account_id=int(account_id) if account_id is not None else None,
        priority=int(m["priority"]),
    )


def add_route(
    conn: Connection,
    *,
    prefix: str,
    connector: str,
    account_id: int | None,
    priority: int,
    now: float,
) -> Route:
    try:
        route_id = conn.execute(
            insert(routes)
            .values(
                prefix=prefix,
                connector=connector,
                account_id=account_id,
                priority=priority,
                created_at=now,
            )
            .returning(routes.c.id)
        ).scalar_one()
    except IntegrityError as exc:
        raise Conflict(f"no account {account_id}", field="account") from exc
    return Route(int(route_id), prefix, connector, account_id, priority)


def all_routes(conn: Connection) -> list[Route]:
    return [_route(row) for row in conn.execute(select(routes).order_by(routes.c.id))]


def remove_route(conn: Connection, route_id: int) -> bool:
    return bool(conn.execute(delete(routes).where(routes.c.id == route_id)).rowcount)


def insert_inbound(
    conn: Connection,
    connector: str,
    source: str,
    destination: str,
    text: str,
    encoding: str,
    parts: int,
    received_at: float,
    account_id: int | None = None,
) -> int:
    """Store one MO (routed to `account_id`, or not yet) and return its id."""
    return int(
        conn.execute(
            insert(inbound)
            .values(
                connector=connector,
                source=source,
                destination=destination,
                text=text,
                encoding=encoding,
                parts=parts,
                received_at=received_at,
                account_id=account_id,
            )
            .returning(inbound.c.id)
        ).scalar_one()
    )


def add_inbound_part(
    conn: Connection, part: InboundPart, join: JoinParts, stale_before: float
) -> int | None:
    """Keep `part`; store its message and drop its parts once all are in (see the port)."""
    p = inbound_parts.c
    same_message = (
        p.connector == part.connector,
        p.source == part.source,
        p.destination == part.destination,
        p.reference == part.reference,
        p.total == part.total,
    )
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_message_key(part))))
    conn.execute(delete(inbound_parts).where(p.received_at < stale_before))
    conn.execute(delete(inbound_parts).where(*same_message, p.sequence == part.sequence))
    conn.execute(
        insert(inbound_parts).values(
            connector=part.connector,
            source=part.source,
            destination=part.destination,
            reference=part.reference,
            total=part.total,
            sequence=part.sequence,
            payload=part.payload,
            received_at=part.received_at,
        )
    )
    payloads = conn.execute(select(p.payload).where(*same_message).order_by(p.sequence)).scalars()
    kept = [bytes(payload) for payload in payloads]
    if len(kept) < part.total:
        return None
    text, encoding = join(kept)
    conn.execute(delete(inbound_parts).where(*same_message))
    return insert_inbound(
        conn,
        part.connector,
        part.source,
        part.destination,
        text,
        encoding,
        part.total,
        part.received_at,
    )


def _message_key(part: InboundPart) -> int:
    """A signed 64-bit advisory lock key for the message `part` belongs to."""
    name = "\0".join(
        (part.connector, part.source, part.destination, str(part.reference), str(part.total))
    )
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class SqlRouting:
    """A mixin of SqlStore: the async face of the functions above."""

    connections: Connections

    async def add_connector(self, definition: ConnectorDefinition) -> None:
        await self.connections.write(add_connector, definition)

    async def connector(self, name: str) -> ConnectorDefinition | None:
        return await self.connections.read(connector, name)

    async def connectors(self) -> list[ConnectorDefinition]:
        return await self.connections.read(all_connectors)

    async def set_connector_enabled(self, name: str, enabled: bool, now: float) -> bool:
        return await self.connections.write(set_connector_enabled, name, enabled, now)

    async def add_inbound_part(
        self, part: InboundPart, join: JoinParts, stale_before: float
    ) -> int | None:
        return await self.connections.write(add_inbound_part, part, join, stale_before)

    async def remove_connector(self, name: str) -> bool:
        return await self.connections.write(remove_connector, name)

    async def add_route(
        self, *, prefix: str, connector: str, account_id: int | None, priority: int, now: float
    ) -> Route:
        return await self.connections.write(
            add_route,
            prefix=prefix,
            connector=connector,
            account_id=account_id,
            priority=priority,
            now=now,
        )

    async def routes(self) -> list[Route]:
        return await self.connections.read(all_routes)

    async def remove_route(self, route_id: int) -> bool:
        return await self.connections.write(remove_route, route_id)

    async def add_unrouted_inbound(
        self,
        connector: str,
        source: str,
        destination: str,
        text: str,
        encoding: str,
        parts: int,
        received_at: float,
    ) -> int:
        return await self.connections.write(
            insert_inbound,
            connector,
            source,
            destination,
            text,
            encoding,
            parts,
            received_at,
        )
