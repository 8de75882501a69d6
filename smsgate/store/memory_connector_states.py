"""The connectors' live state in `MemoryStore`, as sql_connector_states keeps it."""

from __future__ import annotations

from smsgate.services.connector_state import ConnectorState
from smsgate.store.memory_tables import MemoryTables


class MemoryConnectorStates(MemoryTables):
    async def publish_connector_states(self, node_id: str, states: list[ConnectorState]) -> None:
        for key in [k for k in self._connector_states if k[0] == node_id]:
            del self._connector_states[key]
        for s in states:
            self._connector_states[(node_id, s.connector)] = s

    async def connector_states(self, since: float) -> list[ConnectorState]:
        found = [s for s in self._connector_states.values() if s.updated_at >= since]
        return sorted(found, key=lambda s: (s.connector, s.node_id))
