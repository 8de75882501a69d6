"""Hourly totals in SQL: `message_hours` counted again an hour range at a time under the
lock of its watermark row, read back with the live messages after the watermark in one
statement, and what retention deletes taken out. `SqlHourlyTotals` is SqlStore's part."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import BigInteger, Integer, cast, delete, func, insert, literal, select
from sqlalchemy import update as update_rows
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from smsgate.core.messages import Status
from smsgate.services.hourly_totals import HOUR, OPEN, REOPENABLE
from smsgate.services.numbers import country_of
from smsgate.services.statistics import DAY, PREFIX, CountryRow
from smsgate.store.rules import day_of
from smsgate.store.schema import accounts, messages
from smsgate.store.schema_platform import message_days, message_hours, message_hours_state
from smsgate.store.sql_base import SqlPart

STATE = 1  # the id of message_hours_state's one row
_OPEN = sorted(status.value for status in OPEN)
DAYS, HOURS, LIVE = 0, 1, 2  # the parts of a report's statement
Key = tuple[int, int, str, str, str]  # account, hour, country, status, currency


def floor_of(conn: Connection, value: ColumnElement[Any]) -> ColumnElement[int]:
    """The whole number at or below `value`."""
    # CAST rounds on PostgreSQL but truncates on SQLite; FLOOR is PostgreSQL's.
    if conn.dialect.name == "postgresql":
        return cast(func.floor(value), BigInteger)
    return cast(value, Integer)


def lock_watermark(conn: Connection) -> int | None:
    """The watermark, its row locked until the transaction ends (SQLite: the writer's)."""
    query = select(message_hours_state.c.watermark).where(message_hours_state.c.id == STATE)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    found = conn.execute(query).scalar()
    return None if found is None else int(found)


def _hour(conn: Connection) -> ColumnElement[int]:
    return floor_of(conn, messages.c.created_at / float(HOUR)) * HOUR


def stale_hours(conn: Connection, watermark: int) -> list[int]:
    h, m = message_hours.c, messages.c
    current = conn.execute(
        select(message_hours_state.c.watermark).where(message_hours_state.c.id == STATE)
    ).scalar()
    if current is None:
        first = conn.execute(select(func.min(m.created_at))).scalar()
        if first is None:
            return []
        return list(range(int(first) // HOUR * HOUR, watermark, HOUR))
    below = int(current)
    found = set(range(below, watermark, HOUR))
    found.update(
        int(hour)
        for (hour,) in conn.execute(
            select(h.hour).where(h.status.in_(_OPEN), h.hour < below).distinct()
        )
    )
    hour = _hour(conn)
    now = conn.execute(
        select(hour, func.count())
        .where(m.status == REOPENABLE.value, m.created_at < below)
        .group_by(hour)
    )
    counted = conn.execute(
        select(h.hour, func.sum(h.messages))
        .where(h.status == REOPENABLE.value, h.hour < below)
        .group_by(h.hour)
    )
    expired = {int(start): int(n) for start, n in now}
    for start, n in counted:
        if expired.pop(int(start), 0) != int(n):
            found.add(int(start))
    found.update(expired)  # hours with expired messages that counted none
    return sorted(found)


def _ranges(hours: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive hours as [start, end) ranges."""
    found: list[tuple[int, int]] = []
    for start in hours:
        if found and found[-1][1] == start:
            found[-1] = (found[-1][0], start + HOUR)
        else:
            found.append((start, start + HOUR))
    return found


def roll_up(conn: Connection, hours: Sequence[int], watermark: int) -> int:
    if not hours:
        return 0
    current = lock_watermark(conn)
    h, m = message_hours.c, messages.c
    hour = _hour(conn)
    prefix = func.substr(m.to, 1, PREFIX)
    keys = (m.account_id, hour, prefix, m.status, m.currency)
    counted = 0
    for start, end in _ranges(hours):
        conn.execute(delete(message_hours).where(h.hour >= start, h.hour < end))
        query = (
            select(*keys, func.count(), func.sum(m.parts), func.sum(m.cost))
            # every account: each one's (account_id, created_at) index range
            .where(
                m.account_id.in_(select(accounts.c.id)),
                m.created_at >= start,
                m.created_at < end,
            )
            .group_by(*keys)
        )
        totals: dict[Key, list[int]] = {}
        for account_id, at, place, status, currency, n, part_count, cost in conn.execute(query):
            key = (int(account_id), int(at), country_of(str(place)), str(status), str(currency))
            _add(totals, key, int(n), int(part_count), int(cost))
            counted += int(n)
        if totals:
            conn.execute(insert(message_hours), _rows(totals.items()))
    for day in sorted({start // DAY * DAY for start in hours}):
        _add_up_day(conn, day)
    end = min(watermark, hours[-1] + HOUR)
    if current is None or end > current:
        conn.execute(
            update_rows(message_hours_state)
            .where(message_hours_state.c.id == STATE)
            .values(watermark=end)
        )
    return counted


def _add_up_day(conn: Connection, day: int) -> None:
    """The day's `message_days` rows made again from its hours."""
    h, d = message_hours.c, message_days.c
    conn.execute(delete(message_days).where(d.day == day))
    keys = (h.account_id, h.country, h.status, h.currency)
    sums = (func.sum(h.messages), func.sum(h.parts), func.sum(h.cost))
    query = (
        select(h.account_id, literal(day, BigInteger), *keys[1:], *sums)
        .where(h.hour >= day, h.hour < day + DAY)
        .group_by(*keys)
    )
    names = ["account_id", "day", "country", "status", "currency", "messages", "parts", "cost"]
    conn.execute(insert(message_days).from_select(names, query))


def _add(totals: dict[Key, list[int]], key: Key, n: int, part_count: int, cost: int) -> None:
    total = totals.setdefault(key, [0, 0, 0])
    total[0], total[1], total[2] = total[0] + n, total[1] + part_count, total[2] + cost


def _rows(totals: Iterable[tuple[Key, list[int]]]) -> list[dict[str, Any]]:
    return [
        {
            "account_id": account_id,
            "hour": start,
            "country": place,
            "status": status,
            "currency": currency,
            "messages": n,
            "parts": part_count,
            "cost": cost,
        }
        for (account_id, start, place, status, currency), (n, part_count, cost) in totals
    ]


def take_out(
    conn: Connection, deleted: Iterable[tuple[int, float, str, str, str, int, int]]
) -> None:
    """Retention's part: the messages (account, created_at, to, status, currency, parts,
    cost) it deletes in this transaction taken out of the hours and days counted."""
    watermark = lock_watermark(conn)
    if watermark is None:
        return
    rows = [row for row in deleted if row[1] < watermark]
    for table, column, size in ((message_hours, "hour", HOUR), (message_days, "day", DAY)):
        totals: dict[Key, list[int]] = {}
        for account_id, created_at, to, status, currency, part_count, cost in rows:
            start = int(created_at // size) * size
            key = (account_id, start, country_of(to[:PREFIX]), status, currency)
            _add(totals, key, 1, part_count, cost)
        t = table.c
        for (account_id, start, place, status, currency), (n, parts, cost) in totals.items():
            conn.execute(
                update_rows(table)
                .where(
                    t.account_id == account_id,
                    t[column] == start,
                    t.country == place,
                    t.status == status,
                    t.currency == currency,
                )
                .values(messages=t.messages - n, parts=t.parts - parts, cost=t.cost - cost)
            )
        if totals:
            starts = sorted({key[1] for key in totals})
            conn.execute(delete(table).where(t[column].in_(starts), t.messages <= 0))


def country_totals(
    conn: Connection,
    account_ids: Sequence[int],
    since: float,
    until: float,
    utc_offset: int,
    by_day: bool,
    by_country: bool,
) -> list[CountryRow]:
    if not account_ids:
        return []
    h, m = message_hours.c, messages.c
    ids = list(account_ids)
    since, until = int(since), int(until)  # whole hours
    watermark = func.coalesce(
        select(message_hours_state.c.watermark)
        .where(message_hours_state.c.id == STATE)
        .scalar_subquery(),
        0,
    )
    later = func.greatest if conn.dialect.name == "postgresql" else func.max
    whole_days = utc_offset == 0 and since % DAY == 0 and until % DAY == 0
    # whole UTC days before the watermark's day from message_days, its hours from
    # message_hours, and the live messages after it
    days_end = (watermark // DAY) * DAY if whole_days else literal(since, BigInteger)
    d = message_days.c
    # the day's start, not its number: grouped in the primary key's order, no sort
    day_keys: list[ColumnElement[Any]] = [d.account_id, _or(by_day, d.day)]
    day_keys += [_or(by_country, d.country), d.status, d.currency]
    days = (
        select(literal(DAYS), *day_keys, func.sum(d.messages), func.sum(d.parts), func.sum(d.cost))
        .where(d.account_id.in_(ids), d.day >= since, d.day < until, d.day < days_end)
        .group_by(*day_keys)
    )
    counted_day = (h.hour + utc_offset) // DAY  # whole numbers: an integer division
    counted_keys: list[ColumnElement[Any]] = [h.account_id, _or(by_day, counted_day)]
    counted_keys += [_or(by_country, h.country), h.status, h.currency]
    counted = (
        select(
            literal(HOURS), *counted_keys, func.sum(h.messages), func.sum(h.parts), func.sum(h.cost)
        )
        .where(
            h.account_id.in_(ids),
            h.hour >= later(literal(since, BigInteger), days_end),
            h.hour < until,
            h.hour < watermark,
        )
        .group_by(*counted_keys)
    )
    live_day = floor_of(conn, (m.created_at + utc_offset) / float(DAY))
    prefix = func.substr(m.to, 1, PREFIX)
    live_keys: list[ColumnElement[Any]] = [m.account_id, _or(by_day, live_day)]
    live_keys += [_or(by_country, prefix), m.status, m.currency]
    live = (
        select(literal(LIVE), *live_keys, func.count(), func.sum(m.parts), func.sum(m.cost))
        .where(
            m.account_id.in_(ids),
            m.created_at >= later(literal(since), watermark),
            m.created_at < until,
        )
        .group_by(*live_keys)
    )
    totals: dict[tuple[int, int, str, str, str], list[int]] = {}
    for part, account_id, day, place, status, currency, n, part_count, cost in conn.execute(
        days.union_all(counted, live)
    ):
        name = country_of(str(place)) if part == LIVE and by_country else str(place)
        number = int(day) // DAY if part == DAYS else int(day)
        key = (int(account_id), number, name, str(status), str(currency))
        _add(totals, key, int(n), int(part_count), int(cost))
    dates = {day: day_of(day) if by_day else None for day in {key[1] for key in totals}}
    return [
        CountryRow(
            account_id, dates[day], name if by_country else None, Status(status), currency, *total
        )
        for (account_id, day, name, status, currency), total in totals.items()
    ]


def _or(grouped: bool, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`column`, or a constant in its place when the report is not grouped by it."""
    if grouped:
        return column
    return literal(0, BigInteger) if isinstance(column.type, BigInteger | Integer) else literal("")


class SqlHourlyTotals(SqlPart):
    async def stale_hours(self, watermark: int) -> list[int]:
        return await self.connections.read(stale_hours, watermark)

    async def roll_up(self, hours: Sequence[int], watermark: int) -> int:
        return await self.connections.write(roll_up, hours, watermark)

    async def country_totals(
        self,
        account_ids: Sequence[int],
        *,
        since: float,
        until: float,
        utc_offset: int,
        day: bool = True,
        country: bool = True,
    ) -> list[CountryRow]:
        return await self.connections.read(
            country_totals, account_ids, since, until, utc_offset, day, country
        )
