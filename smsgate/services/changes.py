"""Cache invalidation across processes and nodes: a write announces what it changed on
one channel, CHANGED, with a payload naming the cache and key ("prices:", "policy:42");
this process's handlers run at once and the others' within a second (PostgreSQL NOTIFY,
or a row polled every 0.25 s on SQLite). A lost connection drops every cache; each
cache's own few-second lifetime stays as the fallback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from smsgate.services.nodes import RESYNC, NodeStore

log = logging.getLogger(__name__)

CHANGED = "smsgate_changed"

# The caches, and what their key is.
ACCOUNTS = "accounts"  # an account's status, chain or password: account id
KEYS = "keys"  # API keys: account id
PRICES = "prices"  # price lists: owner id, "" for the default list
POLICY = "policy"  # allowed IPs, send rate, binds: account id
INBOUND_SETTINGS = "inbound_settings"  # account id
STOPS = "stops"  # STOP list: account id
ROUTES = "routes"  # routes and connectors: ""

Handler = Callable[[str], None]


def payload_of(cache: str, key: object = "") -> str:
    return f"{cache}:{key}"


def drop_entry(cache: dict[int, Any], key: str) -> None:
    """Drop the entry of an account id key from a cache by account; all of them for ""."""
    if key.isdigit():
        cache.pop(int(key), None)
    else:
        cache.clear()


@dataclass(eq=False, slots=True)
class Changes:
    """Handlers per cache name, called with the key of each change announced here or
    received from other processes; `store` None keeps changes in this process."""

    store: NodeStore | None = None
    _handlers: dict[str, list[Handler]] = field(default_factory=dict, init=False)
    _sending: set[asyncio.Task[None]] = field(default_factory=set, init=False)

    def on(self, cache: str, handler: Handler) -> None:
        """Call `handler(key)` on each change of `cache`."""
        self._handlers.setdefault(cache, []).append(handler)

    async def listen(self) -> None:
        """Receive the changes the other processes announce."""
        if self.store is not None:
            await self.store.listen(CHANGED, self.received)

    def announce(self, cache: str, key: object = "") -> None:
        """Drop the entry here at once and tell the other processes; never raises."""
        payload = payload_of(cache, key)
        self.received(payload)
        if self.store is not None:
            self.spawn(self._send(payload))

    def spawn(self, job: Coroutine[Any, Any, None]) -> None:
        """Run `job` in the background (a handler's reload), kept until it ends; what it
        raises is logged."""
        task = asyncio.get_running_loop().create_task(self._logged(job))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    @staticmethod
    async def _logged(job: Coroutine[Any, Any, None]) -> None:
        try:
            await job
        except Exception:
            log.exception("background reload after a change failed")

    async def flush(self) -> None:
        """Wait until the changes announced so far are sent (before a CLI exits)."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    async def _send(self, payload: str) -> None:
        assert self.store is not None
        await self.store.signal(CHANGED, payload)

    def received(self, payload: str) -> None:
        """Run the handlers of the payload's cache, or of every cache on RESYNC."""
        if payload == RESYNC:
            for cache, handlers in self._handlers.items():
                for handler in handlers:
                    self._run(cache, handler, "")
            return
        cache, _, key = payload.partition(":")
        for handler in self._handlers.get(cache, ()):
            self._run(cache, handler, key)

    @staticmethod
    def _run(cache: str, handler: Handler, key: str) -> None:
        try:
            handler(key)
        except Exception:
            log.exception("cache %s not dropped", cache)
