"""Connector definitions and routes of `MemoryStore`; the same semantics as sql_routing."""

from __future__ import annotations

from dataclasses import replace

from smsgate.core.errors import Conflict
from smsgate.core.routing import Route
from smsgate.services.connectors import ConnectorDefinition
from smsgate.store.memory_tables import MemoryTables


class MemoryRouting(MemoryTables):
    async def add_connector(self, definition: ConnectorDefinition) -> None:
        if definition.name in self._connectors:
            raise Conflict(f"a connector named {definition.name!r} exists", field="name")
        self._connectors[definition.name] = definition

    async def connector(self, name: str) -> ConnectorDefinition | None:
        return self._connectors.get(name)

    async def connectors(self) -> list[ConnectorDefinition]:
        return [self._connectors[name] for name in sorted(self._connectors)]

    async def set_connector_enabled(self, name: str, enabled: bool, now: float) -> bool:
        found = self._connectors.get(name)
        if found is None:
            return False
        self._connectors[name] = replace(found, enabled=enabled, updated_at=now)
        return True

    async def remove_connector(self, name: str) -> bool:
        return self._connectors.pop(name, None) is not None

    async def add_route(
        self, *, prefix: str, connector: str, account_id: int | None, priority: int, now: float
    ) -> Route:
        route = Route(next(self._route_ids), prefix, connector, account_id, priority)
        self._routes[route.id] = route
        return route

    async def routes(self) -> list[Route]:
        return [self._routes[key] for key in sorted(self._routes)]

    async def remove_route(self, route_id: int) -> bool:
        return self._routes.pop(route_id, None) is not None
