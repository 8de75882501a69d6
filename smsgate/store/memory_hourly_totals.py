"""Hourly totals of `MemoryStore`: the same answers as sql_hourly_totals from its
tables, kept per hour only (it has no need of day rows to read fast)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from smsgate.core.messages import Message, Status
from smsgate.services.hourly_totals import HOUR, OPEN, REOPENABLE
from smsgate.services.statistics import DAY, CountryRow
from smsgate.store.memory_tables import MemoryTables
from smsgate.store.memory_tables import hour_key as _key
from smsgate.store.rules import day_of

_Key = tuple[int, int, str, str, str]


def _add(totals: dict[_Key, list[int]], key: _Key, n: int, part_count: int, cost: int) -> None:
    total = totals.setdefault(key, [0, 0, 0])
    total[0], total[1], total[2] = total[0] + n, total[1] + part_count, total[2] + cost


class MemoryHourlyTotals(MemoryTables):
    def _all_messages(self) -> Iterable[Message]:
        return (row.message for row in self._messages.values())

    async def stale_hours(self, watermark: int) -> list[int]:
        below = self._hours_watermark
        if below is None:
            first = min((m.created_at for m in self._all_messages()), default=None)
            return [] if first is None else list(range(int(first) // HOUR * HOUR, watermark, HOUR))
        found = set(range(below, watermark, HOUR))
        open_ = {s.value for s in OPEN}
        counted: dict[int, int] = {}
        for (_, start, _, status, _), (n, _, _) in self._message_hours.items():
            if start < below and status in open_:
                found.add(start)
            if start < below and status == REOPENABLE.value:
                counted[start] = counted.get(start, 0) + n
        now: dict[int, int] = {}
        for m in self._all_messages():
            if m.status is REOPENABLE and m.created_at < below:
                start = int(m.created_at // HOUR) * HOUR
                now[start] = now.get(start, 0) + 1
        found.update(h for h in counted.keys() | now.keys() if counted.get(h) != now.get(h))
        return sorted(found)

    async def roll_up(self, hours: Sequence[int], watermark: int) -> int:
        if not hours:
            return 0
        wanted = set(hours)
        for key in [k for k in self._message_hours if k[1] in wanted]:
            del self._message_hours[key]
        counted = 0
        for m in self._all_messages():
            start = int(m.created_at // HOUR) * HOUR
            if start in wanted:
                _add(self._message_hours, _key(m, start), 1, m.parts, m.cost)
                counted += 1
        end = min(watermark, hours[-1] + HOUR)
        if self._hours_watermark is None or end > self._hours_watermark:
            self._hours_watermark = end
        return counted

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
        wanted = set(account_ids)
        watermark = self._hours_watermark or 0
        totals: dict[_Key, list[int]] = {}
        for (account_id, start, place, status, currency), total in self._message_hours.items():
            if account_id in wanted and since <= start < until and start < watermark:
                key = (account_id, (start + utc_offset) // DAY, place, status, currency)
                _add(totals, key, *total)
        for m in self._all_messages():
            if m.account_id in wanted and max(since, watermark) <= m.created_at < until:
                _add(totals, _key(m, int((m.created_at + utc_offset) // DAY)), 1, m.parts, m.cost)
        grouped: dict[tuple[int, int | None, str | None, str, str], list[int]] = {}
        for (account_id, start, name, status, currency), (n, part_count, cost) in totals.items():
            group = (account_id, start if day else None, name if country else None)
            total = grouped.setdefault((*group, status, currency), [0, 0, 0])
            total[0], total[1], total[2] = total[0] + n, total[1] + part_count, total[2] + cost
        return [
            CountryRow(
                account_id,
                None if on is None else day_of(on),
                place,
                Status(status),
                currency,
                *total,
            )
            for (account_id, on, place, status, currency), total in grouped.items()
        ]
