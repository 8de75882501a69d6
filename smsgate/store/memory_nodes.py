"""Gateway nodes of `MemoryStore`: the same rows as sql_nodes, on this process's clock,
and signals delivered to this process's listeners."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from smsgate.services.nodes import Node
from smsgate.store.memory_tables import MemoryTables


class MemoryNodes(MemoryTables):
    async def register_node(self, node_id: str, host: str, pid: int, lease: float) -> None:
        now = time.time()
        self._nodes[node_id] = Node(node_id, host, pid, now, now + lease)

    async def renew_node(self, node_id: str, pid: int, lease: float) -> bool:
        node = self._nodes.get(node_id)
        if node is None or node.pid != pid:
            return False
        self._nodes[node_id] = replace(node, lease_until=time.time() + lease)
        return True

    async def drop_node(self, node_id: str, pid: int) -> None:
        node = self._nodes.get(node_id)
        if node is not None and node.pid == pid:
            del self._nodes[node_id]

    async def signal(self, channel: str, payload: str = "") -> None:
        for callback in self._listeners.get(channel, []):
            callback(payload)

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        self._listeners.setdefault(channel, []).append(callback)

    async def live_nodes(self) -> list[Node]:
        now = time.time()
        return sorted((n for n in self._nodes.values() if n.lease_until >= now), key=lambda n: n.id)
