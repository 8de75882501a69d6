"""Bind slots of connectors and the nodes that bind them, in SQL, on the database's clock:
a slot is taken by one conditional UPDATE (free, or its lease ran out), so two nodes never
hold it at once; `SqlOwnership` is SqlStore's part for them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from smsgate.services.ownership import Slot, SlotKey, SlotView
from smsgate.store.records import record_from_row
from smsgate.store.schema_platform import bind_nodes, connector_slots
from smsgate.store.sql_base import SqlPart
from smsgate.store.sql_nodes import database_now

_S = connector_slots.c


def _now(conn: Connection) -> float:
    return float(conn.execute(select(database_now(conn))).scalar_one())


def renew_slots(
    conn: Connection,
    node_id: str,
    binds: Mapping[str, int],
    bound: Collection[SlotKey],
    lease: float,
) -> SlotView:
    now = _now(conn)
    member = update(bind_nodes).where(bind_nodes.c.node_id == node_id)
    if not conn.execute(member.values(lease_until=now + lease)).rowcount:
        conn.execute(insert(bind_nodes).values(node_id=node_id, lease_until=now + lease))
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    for name, count in sorted(binds.items()):
        rows = [
            {"connector": name, "slot": k, "node_id": None, "lease_until": now, "bound": False}
            for k in range(count)
        ]
        if rows:
            conn.execute(
                dialect.insert(connector_slots)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["connector", "slot"])
            )
        conn.execute(
            delete(connector_slots).where(
                _S.connector == name,
                _S.slot >= count,
                or_(_S.node_id.is_(None), _S.lease_until < now),
            )
        )
        ours = [k for connector, k in bound if connector == name]
        conn.execute(
            update(connector_slots)
            .where(
                _S.connector == name,
                _S.node_id == node_id,
                _S.slot < count,
                _S.lease_until >= now,
            )
            .values(lease_until=now + lease, bound=_S.slot.in_(ours))
        )
    members = select(bind_nodes.c.node_id).where(bind_nodes.c.lease_until >= now)
    slots = select(connector_slots).where(_S.connector.in_(sorted(binds)))
    return SlotView(
        now,
        tuple(sorted(str(m) for m in conn.execute(members).scalars())),
        tuple(
            sorted(
                (record_from_row(Slot, row._mapping) for row in conn.execute(slots)),
                key=lambda s: (s.connector, s.slot),
            )
        ),
    )


def claim_slots(
    conn: Connection, node_id: str, connector: str, slots: Sequence[int], lease: float
) -> list[int]:
    now = _now(conn)
    taken = conn.execute(
        update(connector_slots)
        .where(
            _S.connector == connector,
            _S.slot.in_(list(slots)),
            or_(_S.node_id.is_(None), _S.lease_until < now),
        )
        .values(node_id=node_id, lease_until=now + lease, bound=False)
        .returning(_S.slot)
    )
    return sorted(int(k) for k in taken.scalars())


def release_slots(conn: Connection, node_id: str, connector: str, slots: Sequence[int]) -> None:
    conn.execute(
        update(connector_slots)
        .where(_S.connector == connector, _S.node_id == node_id, _S.slot.in_(list(slots)))
        .values(node_id=None, lease_until=database_now(conn), bound=False)
    )


def leave_slots(conn: Connection, node_id: str) -> None:
    conn.execute(
        update(connector_slots)
        .where(_S.node_id == node_id)
        .values(node_id=None, lease_until=database_now(conn), bound=False)
    )
    conn.execute(delete(bind_nodes).where(bind_nodes.c.node_id == node_id))


class SqlOwnership(SqlPart):
    async def renew_slots(
        self,
        node_id: str,
        binds: Mapping[str, int],
        bound: Collection[SlotKey],
        lease: float,
    ) -> SlotView:
        return await self.connections.write(renew_slots, node_id, binds, bound, lease)

    async def claim_slots(
        self, node_id: str, connector: str, slots: Sequence[int], lease: float
    ) -> list[int]:
        return await self.connections.write(claim_slots, node_id, connector, slots, lease)

    async def release_slots(self, node_id: str, connector: str, slots: Sequence[int]) -> None:
        await self.connections.write(release_slots, node_id, connector, slots)

    async def leave_slots(self, node_id: str) -> None:
        await self.connections.write(leave_slots, node_id)
