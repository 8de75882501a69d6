"""Which handler answers an operator's HTTP callback to `/callbacks/{connector}/{path}`.

The connector's definition (enabled or not: receipts for what it sent still come) names
its type; the type's `CallbackRoutes` in the registry gives its routes, built once per
version of the definition with this process's receipt and MO sinks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from smsgate.services.connectors import ConnectorDefinition
from smsgate.services.ports import CallbackHandler, Clock, MoSink, ReceiptSink

Routes = Mapping[tuple[str, str], CallbackHandler]
CallbackRoutes = Callable[[ConnectorDefinition, ReceiptSink, MoSink, Clock], Routes]
"""A connector type's HTTP callbacks: (method, path below its prefix) -> handler."""


class CallbackDirectory:
    def __init__(
        self,
        definition: Callable[[str], Awaitable[ConnectorDefinition | None]],
        types: Mapping[str, CallbackRoutes],
        receipts: ReceiptSink,
        mo: MoSink,
        clock: Clock,
    ) -> None:
        self._definition = definition
        self._types = types
        self._receipts = receipts
        self._mo = mo
        self._clock = clock
        self._built: dict[str, tuple[ConnectorDefinition, Routes]] = {}

    async def handler(self, connector: str, method: str, path: str) -> CallbackHandler | None:
        definition = await self._definition(connector)
        routes_of = self._types.get(definition.type) if definition is not None else None
        if definition is None or routes_of is None:
            self._built.pop(connector, None)
            return None
        built = self._built.get(connector)
        if built is None or built[0] != definition:
            built = (definition, routes_of(definition, self._receipts, self._mo, self._clock))
            self._built[connector] = built
        return built[1].get((method, path))
