"""Retention in SQL: `prune` deletes a batch of old messages and MO after adding their
totals to `message_aggregates` / `inbound_aggregates` (one upsert per group) and taking
them out of `message_hours`; the aggregates are read back for reports. `SqlRetention` is
SqlStore's part for them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from smsgate.core.messages import FINAL, Status
from smsgate.services.clock import first_id_at
from smsgate.services.retention import BUCKET, DAY, Pruned
from smsgate.services.statistics import MoTotal, StatsRow
from smsgate.store.rules import day_of
from smsgate.store.schema import batches, messages, outbox, parts, webhook_attempts
from smsgate.store.schema_inbound import inbound, inbound_outbox, smpp_outbox
from smsgate.store.schema_platform import inbound_aggregates, message_aggregates
from smsgate.store.sql_base import SqlPart
from smsgate.store.sql_hourly_totals import floor_of, take_out

PENDING = "pending"
NO_CONNECTOR = ""  # the aggregates' key for messages never handed to a connector
_FINAL = sorted(status.value for status in FINAL)


def prune(conn: Connection, before: float, limit: int) -> Pruned:
    return Pruned(_prune_messages(conn, before, limit), _prune_inbound(conn, before, limit))


def _prune_messages(conn: Connection, before: float, limit: int) -> int:
    m = messages
    # Every part of a message goes through one connector; no part row yet means none.
    # (Read in seq order: min() lets PostgreSQL walk the connector index instead.)
    connector = (
        select(parts.c.connector)
        .where(parts.c.message_id == m.c.id, parts.c.connector.is_not(None))
        .order_by(parts.c.seq)
        .limit(1)
        .scalar_subquery()
    )
    pick = (
        select(
            m.c.id,
            m.c.batch_id,
            m.c.account_id,
            m.c.created_at,
            connector,
            m.c.status,
            m.c.currency,
            m.c.parts,
            m.c.cost,
            m.c.to,
        )
        .where(
            m.c.id < first_id_at(before),  # the primary key's range; created_at decides
            m.c.created_at < before,
            m.c.status.in_(_FINAL),
            ~exists().where(outbox.c.message_id == m.c.id, outbox.c.state == PENDING),
            ~exists().where(smpp_outbox.c.message_id == m.c.id, smpp_outbox.c.state == PENDING),
        )
        .order_by(m.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(of=m, skip_locked=True)
    rows = conn.execute(pick).all()
    if not rows:
        return 0
    groups: dict[tuple[int, int, str, str, str], list[int]] = {}
    take_out(conn, [(r[2], r[3], r[9], r[5], r[6], r[7], r[8]) for r in rows])
    for _, _, account_id, created_at, name, status, currency, part_count, cost, _ in rows:
        key = (
            account_id,
            int(created_at // BUCKET) * BUCKET,
            name or NO_CONNECTOR,
            status,
            currency,
        )
        total = groups.setdefault(key, [0, 0, 0])
        total[0], total[1], total[2] = total[0] + 1, total[1] + part_count, total[2] + cost
    a = message_aggregates
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    for (account_id, start, name, status, currency), (count, part_count, cost) in groups.items():
        values = {
            "account_id": account_id,
            "bucket": start,
            "connector": name,
            "status": status,
            "currency": currency,
            "messages": count,
            "parts": part_count,
            "cost": cost,
        }
        statement = insert(a).values(values)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    a.c.account_id,
                    a.c.bucket,
                    a.c.connector,
                    a.c.status,
                    a.c.currency,
                ],
                set_={
                    "messages": a.c.messages + statement.excluded.messages,
                    "parts": a.c.parts + statement.excluded.parts,
                    "cost": a.c.cost + statement.excluded.cost,
                },
            )
        )
    ids = [row[0] for row in rows]
    emptied = sorted({row[1] for row in rows})
    finished = select(outbox.c.id).where(outbox.c.message_id.in_(ids))
    conn.execute(delete(webhook_attempts).where(webhook_attempts.c.outbox_id.in_(finished)))
    conn.execute(delete(outbox).where(outbox.c.message_id.in_(ids)))
    conn.execute(delete(smpp_outbox).where(smpp_outbox.c.message_id.in_(ids)))
    conn.execute(delete(parts).where(parts.c.message_id.in_(ids)))
    conn.execute(delete(m).where(m.c.id.in_(ids)))
    conn.execute(
        delete(batches).where(
            batches.c.id.in_(emptied), ~exists().where(m.c.batch_id == batches.c.id)
        )
    )
    return len(ids)


def _prune_inbound(conn: Connection, before: float, limit: int) -> int:
    mo = inbound
    pick = (
        select(mo.c.id, mo.c.account_id, mo.c.received_at)
        .where(
            mo.c.received_at < before,
            ~exists().where(
                inbound_outbox.c.inbound_id == mo.c.id, inbound_outbox.c.state == PENDING
            ),
            ~exists().where(smpp_outbox.c.inbound_id == mo.c.id, smpp_outbox.c.state == PENDING),
        )
        .order_by(mo.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(of=mo, skip_locked=True)
    rows = conn.execute(pick).all()
    if not rows:
        return 0
    groups: dict[tuple[int, int], int] = {}
    for _, account_id, received_at in rows:
        if account_id is not None:  # an unrouted MO is nobody's to count
            key = (account_id, int(received_at // BUCKET) * BUCKET)
            groups[key] = groups.get(key, 0) + 1
    a = inbound_aggregates
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    for (account_id, start), count in groups.items():
        statement = insert(a).values(account_id=account_id, bucket=start, messages=count)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[a.c.account_id, a.c.bucket],
                set_={"messages": a.c.messages + statement.excluded.messages},
            )
        )
    ids = [row[0] for row in rows]
    conn.execute(delete(inbound_outbox).where(inbound_outbox.c.inbound_id.in_(ids)))
    conn.execute(delete(smpp_outbox).where(smpp_outbox.c.inbound_id.in_(ids)))
    conn.execute(delete(mo).where(mo.c.id.in_(ids)))
    return len(ids)


def retained_message_totals(
    conn: Connection, account_ids: Sequence[int], since: float, until: float, utc_offset: int
) -> list[StatsRow]:
    a = message_aggregates
    day = floor_of(conn, (a.c.bucket + utc_offset) / float(DAY))
    keys = (a.c.account_id, day, a.c.connector, a.c.status, a.c.currency)
    query = (
        select(*keys, func.sum(a.c.messages), func.sum(a.c.parts), func.sum(a.c.cost))
        .where(a.c.account_id.in_(list(account_ids)), a.c.bucket >= since, a.c.bucket < until)
        .group_by(*keys)
    )
    return [
        StatsRow(
            account_id=int(account_id),
            day=day_of(int(day_number)),
            connector=name or None,
            status=Status(status),
            currency=str(currency),
            messages=int(count),
            parts=int(part_count),
            cost=int(cost),
        )
        for account_id, day_number, name, status, currency, count, part_count, cost in (
            conn.execute(query)
        )
    ]


def retained_inbound_totals(
    conn: Connection, account_ids: Sequence[int], since: float, until: float, utc_offset: int
) -> list[MoTotal]:
    a = inbound_aggregates
    day = floor_of(conn, (a.c.bucket + utc_offset) / float(DAY))
    query = (
        select(a.c.account_id, day, func.sum(a.c.messages))
        .where(a.c.account_id.in_(list(account_ids)), a.c.bucket >= since, a.c.bucket < until)
        .group_by(a.c.account_id, day)
    )
    return [
        MoTotal(int(account_id), day_of(int(day_number)), int(count))
        for account_id, day_number, count in conn.execute(query)
    ]


class SqlRetention(SqlPart):
    async def prune(self, before: float, limit: int) -> Pruned:
        return await self.connections.write(prune, before, limit)

    async def retained_message_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[StatsRow]:
        return await self.connections.read(
            retained_message_totals, account_ids, since, until, utc_offset
        )

    async def retained_inbound_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[MoTotal]:
        return await self.connections.read(
            retained_inbound_totals, account_ids, since, until, utc_offset
        )
