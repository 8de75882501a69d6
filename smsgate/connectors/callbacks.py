"""Which handler answers an operator's HTTP callback to `/callbacks/{connector}/{path}`.

The connector's definition (enabled or not: receipts for what it sent still come) names
its type; the type's `CallbackRoutes` in the registry gives its routes, built once per
version of the definition with this process's receipt and MO sinks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from smsgate.services.connectors import ConnectorDefinition
from smsgate.services.ports import CallbackHandler, Clock, MoSink, ReceiptSink

Routes = Mapping[tuple[str, str], CallbackHandler]
CallbackRoutes = Callable[[ConnectorDefinition, ReceiptSink, MoSink, Clock], Routes]
"""A connector type's HTTP callbacks: (method, path below its prefix) -> handler."""


@dataclass(eq=False, slots=True)
class CallbackDirectory:
    definition: Callable[[str], Awaitable[ConnectorDefinition | None]]
    types: Mapping[str, CallbackRoutes]
    receipts: ReceiptSink
    mo: MoSink
    clock: Clock
    _built: dict[str, tuple[ConnectorDefinition, Routes]] = field(init=False, default_factory=dict)

    async def handler(self, connector: str, method: str, path: str) -> CallbackHandler | None:
        definition = await self.definition(connector)
        routes_of = self.types.get(definition.type) if definition is not None else None
        if definition is None or routes_of is None:
            self._built.pop(connector, None)
            return None
        built = self._built.get(connector)
        if built is None or built[0] != definition:
            built = (definition, routes_of(definition, self.receipts, self.mo, self.clock))
            self._built[connector] = built
        return built[1].get((method, path))
