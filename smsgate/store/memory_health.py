"""The console's health counts of `MemoryStore`: no size, the pending rows of each
outbox as sql_health counts them."""

from __future__ import annotations

from smsgate.store.memory_tables import PENDING, MemoryTables


class MemoryHealth(MemoryTables):
    async def store_size(self) -> int | None:
        return None

    async def outbox_depths(self) -> dict[str, int]:
        return {
            "webhooks": sum(1 for r in self._outbox.values() if r.state == PENDING),
            "mo_webhooks": sum(1 for r in self._mo_outbox.values() if r.state == PENDING),
            "smpp": sum(1 for r in self._smpp_outbox.values() if r.state == PENDING),
        }
