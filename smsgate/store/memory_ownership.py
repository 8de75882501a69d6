"""Bind slots of `MemoryStore`: the same rows and rules as sql_ownership, on this
process's clock."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from smsgate.services.ownership import Slot, SlotKey, SlotView
from smsgate.store.memory_tables import MemoryTables


class MemoryOwnership(MemoryTables):
    async def renew_slots(
        self,
        node_id: str,
        binds: Mapping[str, int],
        bound: Collection[SlotKey],
        lease: float,
    ) -> SlotView:
        now = time.time()
        self._bind_nodes[node_id] = now + lease
        slots = self._connector_slots
        for name, count in binds.items():
            for k in range(count):
                slots.setdefault((name, k), Slot(name, k, None, now, False))
            for (connector, k), slot in list(slots.items()):
                expired = slot.node_id is None or slot.lease_until < now
                if connector == name and k >= count and expired:
                    del slots[(connector, k)]
                elif (
                    connector == name
                    and k < count
                    and slot.node_id == node_id
                    and slot.lease_until >= now
                ):
                    slots[(connector, k)] = replace(
                        slot, lease_until=now + lease, bound=(connector, k) in bound
                    )
        members = tuple(sorted(n for n, until in self._bind_nodes.items() if until >= now))
        seen = [s for key, s in slots.items() if key[0] in binds]
        return SlotView(now, members, tuple(sorted(seen, key=lambda s: (s.connector, s.slot))))

    async def claim_slots(
        self, node_id: str, connector: str, slots: Sequence[int], lease: float
    ) -> list[int]:
        now = time.time()
        taken = []
        for k in sorted(set(slots)):
            slot = self._connector_slots.get((connector, k))
            if slot is not None and (slot.node_id is None or slot.lease_until < now):
                self._connector_slots[(connector, k)] = Slot(
                    connector, k, node_id, now + lease, False
                )
                taken.append(k)
        return taken

    async def release_slots(self, node_id: str, connector: str, slots: Sequence[int]) -> None:
        now = time.time()
        for k in slots:
            slot = self._connector_slots.get((connector, k))
            if slot is not None and slot.node_id == node_id:
                self._connector_slots[(connector, k)] = Slot(connector, k, None, now, False)

    async def leave_slots(self, node_id: str) -> None:
        now = time.time()
        for key, slot in list(self._connector_slots.items()):
            if slot.node_id == node_id:
                self._connector_slots[key] = Slot(slot.connector, slot.slot, None, now, False)
        self._bind_nodes.pop(node_id, None)
