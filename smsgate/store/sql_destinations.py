"""Message totals by destination in SQL: per account, day, the recipient's first four
characters (its calling code), status and currency. `SqlDestinations` is SqlStore's
part for them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from smsgate.core.messages import Status
from smsgate.services.statistics import PREFIX, DestinationRow
from smsgate.store.rules import day_of
from smsgate.store.schema import messages
from smsgate.store.sql_base import SqlPart
from smsgate.store.sql_statistics import _day_number


def destination_totals(
    conn: Connection,
    account_ids: Sequence[int],
    since: float,
    until: float,
    utc_offset: int,
) -> list[DestinationRow]:
    if not account_ids:
        return []
    m = messages.c
    each = (
        select(
            m.account_id,
            _day_number(conn, m.created_at, utc_offset).label("day"),
            func.substr(m.to, 1, PREFIX).label("prefix"),
            m.status,
            m.currency,
            m.parts,
            m.cost,
        )
        .where(m.account_id.in_(list(account_ids)), m.created_at >= since, m.created_at < until)
        .subquery()
    )
    keys = (each.c.account_id, each.c.day, each.c.prefix, each.c.status, each.c.currency)
    query = select(*keys, func.count(), func.sum(each.c.parts), func.sum(each.c.cost)).group_by(
        *keys
    )
    return [
        DestinationRow(
            int(account_id),
            day_of(int(day)),
            str(prefix),
            Status(status),
            str(currency),
            int(count),
            int(part_count),
            int(cost),
        )
        for account_id, day, prefix, status, currency, count, part_count, cost in (
            conn.execute(query)
        )
    ]


class SqlDestinations(SqlPart):
    async def destination_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[DestinationRow]:
        return await self.connections.read(
            destination_totals, account_ids, since, until, utc_offset
        )
