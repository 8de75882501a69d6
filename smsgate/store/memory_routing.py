"""The connectors, routes and inbound half of `MemoryStore`; same semantics as sql_routing."""

from __future__ import annotations

import itertools
from dataclasses import replace

from smsgate.core.errors import Conflict
from smsgate.core.routing import Route
from smsgate.services.connectors import ConnectorDefinition
from smsgate.services.inbound import InboundPart, JoinParts

# (connector, source, destination, reference, total): the message a part belongs to
_MessageKey = tuple[str, str, str, int, int]


class MemoryRouting:
    """A mixin: MemoryStore calls `_init_routing` from its __init__."""

    def _init_routing(self) -> None:
        self._connectors: dict[str, ConnectorDefinition] = {}
        self._routes: dict[int, Route] = {}
        self._route_ids = itertools.count(1)
        self._mo_rows: dict[int, tuple[str, str, str, str, str, int, float]] = {}
        self._mo_ids = itertools.count(1)
        self._mo_parts: dict[_MessageKey, dict[int, InboundPart]] = {}

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
        inbound_id = next(self._mo_ids)
        self._mo_rows[inbound_id] = (
            connector,
            source,
            destination,
            text,
            encoding,
            parts,
            received_at,
        )
        return inbound_id

    async def add_inbound_part(
        self, part: InboundPart, join: JoinParts, stale_before: float
    ) -> int | None:
        for key, kept in list(self._mo_parts.items()):
            fresh = {seq: p for seq, p in kept.items() if p.received_at >= stale_before}
            if fresh:
                self._mo_parts[key] = fresh
            else:
                del self._mo_parts[key]
        key = (part.connector, part.source, part.destination, part.reference, part.total)
        kept = self._mo_parts.setdefault(key, {})
        kept[part.sequence] = part
        if len(kept) < part.total:
            return None
        del self._mo_parts[key]
        text, encoding = join([kept[seq].payload for seq in sorted(kept)])
        return await self.add_unrouted_inbound(
            part.connector,
            part.source,
            part.destination,
            text,
            encoding,
            part.total,
            part.received_at,
        )
