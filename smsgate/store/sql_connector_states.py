"""The connectors' live state in SQL (`connector_states`, errors as a JSON list);
`SqlConnectorStates` is SqlStore's part for it."""

from __future__ import annotations

import json

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from smsgate.services.connector_state import ConnectorState
from smsgate.store.schema_platform import connector_states
from smsgate.store.sql_base import SqlPart

_c = connector_states.c


def publish_connector_states(conn: Connection, node_id: str, states: list[ConnectorState]) -> None:
    conn.execute(delete(connector_states).where(_c.node_id == node_id))
    if states:
        conn.execute(
            insert(connector_states),
            [
                {
                    "node_id": node_id,
                    "connector": s.connector,
                    "binds_up": s.binds_up,
                    "binds": s.binds,
                    "window_used": s.window_used,
                    "window": s.window,
                    "rate": s.rate,
                    "errors": json.dumps([list(e) for e in s.errors]),
                    "updated_at": s.updated_at,
                }
                for s in states
            ],
        )


def read_connector_states(conn: Connection, since: float) -> list[ConnectorState]:
    query = (
        select(connector_states).where(_c.updated_at >= since).order_by(_c.connector, _c.node_id)
    )
    return [
        ConnectorState(
            str(m["node_id"]),
            str(m["connector"]),
            int(m["binds_up"]),
            int(m["binds"]),
            int(m["window_used"]),
            int(m["window"]),
            float(m["rate"]),
            tuple((float(at), str(error)) for at, error in json.loads(str(m["errors"]))),
            float(m["updated_at"]),
        )
        for m in (row._mapping for row in conn.execute(query))
    ]


class SqlConnectorStates(SqlPart):
    async def publish_connector_states(self, node_id: str, states: list[ConnectorState]) -> None:
        await self.connections.write(publish_connector_states, node_id, states)

    async def connector_states(self, since: float) -> list[ConnectorState]:
        return await self.connections.read(read_connector_states, since)
