"""Connector definitions and routes in SQL; `SqlRouting` is SqlStore's part for them.

Connector settings are stored as a JSON object in `connectors.settings`.
"""

from __future__ import annotations

import json

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from smsgate.core.errors import Conflict
from smsgate.core.routing import Route
from smsgate.services.connectors import ConnectorDefinition
from smsgate.store.records import record_from_row
from smsgate.store.schema import connectors, routes
from smsgate.store.sql_base import SqlPart


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
    query = select(routes).order_by(routes.c.id)
    return [record_from_row(Route, row._mapping) for row in conn.execute(query)]


def remove_route(conn: Connection, route_id: int) -> bool:
    return bool(conn.execute(delete(routes).where(routes.c.id == route_id)).rowcount)


class SqlRouting(SqlPart):
    async def add_connector(self, definition: ConnectorDefinition) -> None:
        await self.connections.write(add_connector, definition)

    async def connector(self, name: str) -> ConnectorDefinition | None:
        return await self.connections.read(connector, name)

    async def connectors(self) -> list[ConnectorDefinition]:
        return await self.connections.read(all_connectors)

    async def set_connector_enabled(self, name: str, enabled: bool, now: float) -> bool:
        return await self.connections.write(set_connector_enabled, name, enabled, now)

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
