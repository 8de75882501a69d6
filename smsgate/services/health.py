"""The system health the operator console shows: this process, the live nodes, the
store's size, the send queue, the messages held for connectors without a bind, and the
outboxes (receipt webhooks, MO webhooks, SMPP deliveries) still to hand over."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from smsgate.services.nodes import Node
from smsgate.services.ports import Clock

# The outboxes `HealthStore.outbox_depths` counts, and what each carries.
OUTBOXES = {
    "webhooks": "Receipt webhooks",
    "mo_webhooks": "MO webhooks",
    "smpp": "SMPP receipts and MO",
}


@runtime_checkable
class HealthStore(Protocol):
    async def store_size(self) -> int | None:
        """The database's size in bytes (None for the memory store)."""
        ...

    async def outbox_depths(self) -> dict[str, int]:
        """Pending rows of each outbox, by the names of OUTBOXES (all of them)."""
        ...

    async def queue_depth(self) -> int: ...

    async def held_messages(self) -> dict[str, int]: ...

    async def live_nodes(self) -> list[Node]: ...


@dataclass(frozen=True, slots=True)
class Health:
    pid: int
    started_at: float
    now: float
    nodes: list[Node]
    store_size: int | None
    queue_depth: int
    held: dict[str, int]
    outboxes: dict[str, int]

    @property
    def held_total(self) -> int:
        return sum(self.held.values())

    @property
    def outbox_total(self) -> int:
        return sum(self.outboxes.values())


@dataclass(eq=False, slots=True)
class HealthService:
    store: HealthStore
    clock: Clock
    started_at: float
    pid: Callable[[], int] = field(default=os.getpid)

    async def check(self) -> Health:
        return Health(
            self.pid(),
            self.started_at,
            self.clock.now(),
            await self.store.live_nodes(),
            await self.store.store_size(),
            await self.store.queue_depth(),
            await self.store.held_messages(),
            await self.store.outbox_depths(),
        )

    async def queue_depth(self) -> int:
        return await self.store.queue_depth()
