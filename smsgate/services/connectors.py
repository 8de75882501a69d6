"""The connector definitions use case: operator connections kept in the `connectors` table.

Each type's settings are checked by a parser the composition root hands in (the
connector adapters own their settings), so a bad definition is refused before it is
stored. A running gateway picks up every change through its connector supervisor.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from smsgate.core.errors import Conflict, InvalidRequest, NotFound
from smsgate.services.changes import ROUTES, Changes

BUILTIN_CONNECTORS = frozenset({"simulator"})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

SettingsParser = Callable[[Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class ConnectorDefinition:
    name: str
    type: str
    settings: Mapping[str, Any]
    enabled: bool
    created_at: float
    updated_at: float


@runtime_checkable
class ConnectorStore(Protocol):
    async def add_connector(self, definition: ConnectorDefinition) -> None:
        """Insert; Conflict when the name is taken."""
        ...

    async def connector(self, name: str) -> ConnectorDefinition | None: ...

    async def connectors(self) -> list[ConnectorDefinition]:
        """Every definition, by name."""
        ...

    async def set_connector_enabled(self, name: str, enabled: bool, now: float) -> bool: ...

    async def remove_connector(self, name: str) -> bool: ...

    async def held_messages(self) -> dict[str, int]:
        """How many messages are held for each connector, waiting for it to bind."""
        ...


@dataclass(eq=False, slots=True)
class ConnectorService:
    """`parsers` maps each connector type to the function that validates its settings
    (raising InvalidRequest) and returns them complete with defaults."""

    store: ConnectorStore
    parsers: Mapping[str, SettingsParser]
    now: Callable[[], float]
    changes: Changes = field(default_factory=Changes)

    async def add(self, name: str, type_: str, settings: Mapping[str, Any]) -> ConnectorDefinition:
        if not _NAME.fullmatch(name):
            raise InvalidRequest(
                "a connector name is 1-64 letters, digits, '.', '_' or '-'", field="name"
            )
        if name in BUILTIN_CONNECTORS:
            raise Conflict(f"{name!r} is a built-in connector", field="name")
        parser = self.parsers.get(type_)
        if parser is None:
            known = ", ".join(sorted(self.parsers))
            raise InvalidRequest(f"unknown connector type {type_!r} (known: {known})", field="type")
        now = self.now()
        definition = ConnectorDefinition(name, type_, dict(parser(settings)), True, now, now)
        await self.store.add_connector(definition)
        self.changes.announce(ROUTES)
        return definition

    async def get(self, name: str) -> ConnectorDefinition:
        definition = await self.store.connector(name)
        if definition is None:
            raise NotFound(f"no connector {name!r}")
        return definition

    async def list(self) -> list[ConnectorDefinition]:
        return await self.store.connectors()

    async def held(self) -> dict[str, int]:
        """Messages waiting for each connector's bind (those with none are left out)."""
        return await self.store.held_messages()

    async def set_enabled(self, name: str, enabled: bool) -> ConnectorDefinition:
        if not await self.store.set_connector_enabled(name, enabled, self.now()):
            raise NotFound(f"no connector {name!r}")
        self.changes.announce(ROUTES)
        return await self.get(name)

    async def remove(self, name: str) -> None:
        if not await self.store.remove_connector(name):
            raise NotFound(f"no connector {name!r}")
        self.changes.announce(ROUTES)
