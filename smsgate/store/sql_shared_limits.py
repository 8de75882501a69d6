"""Limits shared by every node in SQL: customer SMPP binds with leases on the database's
clock (BindStore; one account's claims serialized by a transaction-level advisory lock
on PostgreSQL, the write lock on SQLite) and messages accepted per account and second
(SendCountStore); `SqlSharedLimits` is SqlStore's part for them."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from smsgate.services.smpp_customers import BindClaim
from smsgate.services.throttle import KEEP_SECONDS
from smsgate.store.schema_platform import send_counts, smpp_binds
from smsgate.store.sql_base import SqlPart
from smsgate.store.sql_nodes import database_now

# The first key of the advisory locks of bind claims (the second is the account id).
BIND_LOCK = 0x5350


def claim_bind(conn: Connection, claim: BindClaim) -> bool:
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(BIND_LOCK, claim.account_id)))
    now = conn.execute(select(database_now(conn))).scalar_one()
    mine = smpp_binds.c.account_id == claim.account_id
    conn.execute(delete(smpp_binds).where(mine, smpp_binds.c.lease_until < now))
    held = conn.execute(select(func.count()).select_from(smpp_binds).where(mine)).scalar_one()
    if held >= claim.limit:
        return False
    values = {
        "id": claim.bind_id,
        "account_id": claim.account_id,
        "node_id": claim.node_id,
        "lease_until": now + claim.lease,
    }
    conn.execute(insert(smpp_binds).values(values))
    return True


def release_bind(conn: Connection, bind_id: str) -> None:
    conn.execute(delete(smpp_binds).where(smpp_binds.c.id == bind_id))


def renew_binds(conn: Connection, node_id: str, lease: float) -> int:
    statement = (
        update(smpp_binds)
        .where(smpp_binds.c.node_id == node_id)
        .values(lease_until=database_now(conn) + lease)
    )
    return int(conn.execute(statement).rowcount)


def release_node_binds(conn: Connection, node_id: str) -> int:
    return int(conn.execute(delete(smpp_binds).where(smpp_binds.c.node_id == node_id)).rowcount)


def live_binds(conn: Connection, account_id: int) -> int:
    query = (
        select(func.count())
        .select_from(smpp_binds)
        .where(
            smpp_binds.c.account_id == account_id,
            smpp_binds.c.lease_until >= database_now(conn),
        )
    )
    return int(conn.execute(query).scalar_one())


def share_send_counts(
    conn: Connection, holder: str, counts: Mapping[tuple[int, int], int], since: int
) -> dict[tuple[int, int], int]:
    sc = send_counts
    insert_ = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    for (account_id, second), count in sorted(counts.items()):
        statement = (
            insert_(sc)
            .values(account_id=account_id, holder=holder, second=second, count=count)
            .on_conflict_do_update(
                index_elements=[sc.c.account_id, sc.c.holder, sc.c.second],
                set_={"count": sc.c.count + count},
            )
        )
        conn.execute(statement)
    conn.execute(delete(sc).where(sc.c.second < since - KEEP_SECONDS))
    query = (
        select(sc.c.account_id, sc.c.second, func.sum(sc.c.count))
        .where(sc.c.second >= since, sc.c.holder != holder)
        .group_by(sc.c.account_id, sc.c.second)
    )
    return {(row[0], row[1]): int(row[2]) for row in conn.execute(query)}


class SqlSharedLimits(SqlPart):
    async def claim_bind(self, claim: BindClaim) -> bool:
        return await self.connections.write(claim_bind, claim)

    async def release_bind(self, bind_id: str) -> None:
        await self.connections.write(release_bind, bind_id)

    async def renew_binds(self, node_id: str, lease: float) -> int:
        return await self.connections.write(renew_binds, node_id, lease)

    async def release_node_binds(self, node_id: str) -> int:
        return await self.connections.write(release_node_binds, node_id)

    async def live_binds(self, account_id: int) -> int:
        return await self.connections.read(live_binds, account_id)

    async def share_send_counts(
        self, holder: str, counts: Mapping[tuple[int, int], int], since: int
    ) -> dict[tuple[int, int], int]:
        return await self.connections.write(share_send_counts, holder, counts, since)
