"""Keeps the running upstreams in step with the connector definitions in the store: every
`interval` seconds (and on start) new or enabled ones start, changed ones restart,
disabled or removed ones close (drained); built-ins (the simulator) always run. With
`owned` (nodes share the connectors) an upstream with bind slots starts without binds
and `services.ownership.BindOwnership` opens the slots this node holds."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from smsgate.services.clock import run_every
from smsgate.services.connectors import ConnectorDefinition
from smsgate.services.ownership import SlottedUpstream
from smsgate.services.ports import ReceiptSink, Upstream

log = logging.getLogger(__name__)

Definitions = Callable[[], Awaitable[list[ConnectorDefinition]]]
Build = Callable[[ConnectorDefinition], Upstream]


class ConnectorSupervisor:
    def __init__(
        self,
        definitions: Definitions,
        build: Build,
        *,
        builtin: Mapping[str, Upstream],
        on_sync: Callable[[], Awaitable[None]] | None = None,
        interval: float = 2.0,
        owned: bool = False,
    ) -> None:
        self._definitions = definitions
        self._build = build
        self._builtin = dict(builtin)
        self._on_sync = on_sync
        self._interval = interval
        self._owned = owned
        self._sink: ReceiptSink | None = None
        self._running: dict[str, tuple[ConnectorDefinition, Upstream]] = {}
        self.upstreams: dict[str, Upstream] = dict(builtin)

    async def start(self, sink: ReceiptSink) -> None:
        self._sink = sink
        for upstream in self._builtin.values():
            await upstream.start(sink)
        await self.sync()

    async def run(self) -> None:
        await run_every(self._interval, self.sync, log, "connector sync failed")

    async def sync(self) -> None:
        """Start, restart and stop upstreams until they match the enabled definitions."""
        wanted = {d.name: d for d in await self._definitions() if d.enabled}
        # Routes first: the router skips connectors that are not running, so a route
        # to a connector started below is live the moment the connector is.
        if self._on_sync is not None:
            await self._on_sync()
        for name in [n for n in wanted if n in self._builtin]:
            log.warning("connector %r shadows a built-in one and is ignored", name)
            del wanted[name]
        for name, (running, upstream) in list(self._running.items()):
            new = wanted.get(name)
            if new is None or (new.type, new.settings) != (running.type, running.settings):
                await self._stop(name, upstream)
        for name, definition in wanted.items():
            if name not in self._running:
                await self._launch(definition)

    async def _launch(self, definition: ConnectorDefinition) -> None:
        assert self._sink is not None, "start() first"
        try:
            upstream = self._build(definition)
            if self._owned and isinstance(upstream, SlottedUpstream):
                upstream.defer_binds()
            await upstream.start(self._sink)
        except Exception:
            log.exception("connector %r could not start", definition.name)
            return
        self._running[definition.name] = (definition, upstream)
        self.upstreams[definition.name] = upstream
        log.info("connector %r started", definition.name)

    async def _stop(self, name: str, upstream: Upstream) -> None:
        # Out of the routing map first, so no new message is handed to it while it drains.
        self.upstreams.pop(name, None)
        del self._running[name]
        try:
            await upstream.close()
        except Exception:
            log.exception("connector %r did not close cleanly", name)
        log.info("connector %r stopped", name)

    async def close(self) -> None:
        for name, (_, upstream) in list(self._running.items()):
            await self._stop(name, upstream)
        for upstream in self._builtin.values():
            await upstream.close()
