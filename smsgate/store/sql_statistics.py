"""Statistics in SQL: message totals per account, day, connector, status and currency;
MO per account and day; messages by client reference. `SqlStatistics` is SqlStore's
part for them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Integer, cast, func, select
from sqlalchemy.engine import Connection

from smsgate.core.messages import Message, Status
from smsgate.services.statistics import DAY, MoTotal, StatsRow
from smsgate.store.records import message_from_row
from smsgate.store.rules import day_of
from smsgate.store.schema import batches, messages, parts
from smsgate.store.schema_inbound import inbound
from smsgate.store.sql_base import SqlPart


def message_totals(
    conn: Connection,
    account_ids: Sequence[int],
    since: float,
    until: float,
    utc_offset: int,
) -> list[StatsRow]:
    if not account_ids:
        return []
    m = messages
    day = _day_number(conn, m.c.created_at, utc_offset)
    # Every part of a message goes through one connector; no part row yet means none.
    connector = (
        select(func.min(parts.c.connector)).where(parts.c.message_id == m.c.id).scalar_subquery()
    )
    each = (
        select(
            m.c.account_id,
            day.label("day"),
            connector.label("connector"),
            m.c.status,
            m.c.currency,
            m.c.parts,
            m.c.cost,
        )
        .where(
            m.c.account_id.in_(list(account_ids)),
            m.c.created_at >= since,
            m.c.created_at < until,
        )
        .subquery()
    )
    keys = (each.c.account_id, each.c.day, each.c.connector, each.c.status, each.c.currency)
    query = select(*keys, func.count(), func.sum(each.c.parts), func.sum(each.c.cost)).group_by(
        *keys
    )
    return [
        StatsRow(
            account_id=int(account_id),
            day=day_of(int(day_number)),
            connector=None if connector_name is None else str(connector_name),
            status=Status(status),
            currency=str(currency),
            messages=int(count),
            parts=int(part_count),
            cost=int(cost),
        )
        for account_id, day_number, connector_name, status, currency, count, part_count, cost in (
            conn.execute(query)
        )
    ]


def _day_number(
    conn: Connection, seconds: ColumnElement[float], utc_offset: int
) -> ColumnElement[int]:
    """The day number (days since 1970-01-01 in UTC+`utc_offset`) of epoch `seconds`."""
    shifted = (seconds + utc_offset) / DAY
    # CAST rounds on PostgreSQL but truncates on SQLite; FLOOR is PostgreSQL's.
    if conn.dialect.name == "postgresql":
        return func.floor(shifted)
    return cast(shifted, Integer)


def inbound_totals(
    conn: Connection,
    account_ids: Sequence[int],
    since: float,
    until: float,
    utc_offset: int,
) -> list[MoTotal]:
    if not account_ids:
        return []
    i = inbound.c
    each = (
        select(i.account_id, _day_number(conn, i.received_at, utc_offset).label("day"))
        .where(i.account_id.in_(list(account_ids)), i.received_at >= since, i.received_at < until)
        .subquery()
    )
    query = select(each.c.account_id, each.c.day, func.count()).group_by(
        each.c.account_id, each.c.day
    )
    return [
        MoTotal(int(account_id), day_of(int(day_number)), int(count))
        for account_id, day_number, count in conn.execute(query)
    ]


def messages_with_reference(conn: Connection, account_id: int, reference: str) -> list[Message]:
    batch = select(batches.c.id).where(
        batches.c.account_id == account_id, batches.c.reference == reference
    )
    query = select(messages).where(messages.c.batch_id.in_(batch)).order_by(messages.c.id)
    return [message_from_row(row._mapping) for row in conn.execute(query)]


class SqlStatistics(SqlPart):
    async def messages_with_reference(self, account_id: int, reference: str) -> list[Message]:
        return await self.connections.read(messages_with_reference, account_id, reference)

    async def inbound_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[MoTotal]:
        return await self.connections.read(inbound_totals, account_ids, since, until, utc_offset)

    async def message_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[StatsRow]:
        return await self.connections.read(message_totals, account_ids, since, until, utc_offset)
