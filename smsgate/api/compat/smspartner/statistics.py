"""SMS Partner `GET /v1/statistics/cost-resume`: cost and sends per calendar month (UTC).

Reads `StatisticsService.report` by day and adds the days up into months, every month
of the period listed, empty ones included.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from smsgate.api.compat.smspartner.parse import Params
from smsgate.api.compat.smspartner.render import Body, Value, amount
from smsgate.api.compat.smspartner.render import success as ok
from smsgate.core.accounts import Account
from smsgate.core.errors import InvalidRequest
from smsgate.services.statistics import Dimension, StatisticsService

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _month_start(day: date, shift: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def _day(raw: str, name: str) -> date:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise InvalidRequest(f"{name} must be YYYY-MM-DD or dd/MM/yyyy", field=name)


def period(params: Params, today: date) -> tuple[date, date]:
    """[first day, day after the last) of the requested interval."""
    interval = params.required("interval")
    if interval == "last_month":
        return _month_start(today, -1), _month_start(today)
    if interval == "last_twelve_months":
        return _month_start(today, -11), _month_start(today, 1)
    if interval == "custom":
        start = _day(params.required("from"), "from")
        end = _day(params.required("to"), "to")
        if end < start:
            raise InvalidRequest("to must not be before from", field="to")
        return start, end + timedelta(days=1)
    raise InvalidRequest(
        "interval must be last_month, last_twelve_months or custom", field="interval"
    )


def _epoch(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


class CostResume:
    def __init__(self, statistics: StatisticsService, now: Callable[[], float]) -> None:
        self._statistics = statistics
        self._now = now

    async def cost_resume(self, params: Params, account: Account) -> Body:
        start, end = period(params, datetime.fromtimestamp(self._now(), UTC).date())
        groups = await self._statistics.report(
            account, since=_epoch(start), until=_epoch(end), by=(Dimension.DAY,)
        )
        months: dict[date, tuple[int, int]] = {}
        for group in groups:
            if group.day is None:
                continue
            key = _month_start(group.day)
            cost, sends = months.get(key, (0, 0))
            months[key] = (cost + group.totals.cost, sends + group.totals.messages)
        datas: list[Value] = []
        month = _month_start(start)
        while month < end:
            cost, sends = months.get(month, (0, 0))
            datas.append(
                {
                    "month": MONTHS[month.month - 1],
                    "year": month.year,
                    "m": month.month,
                    "date": int(_epoch(month)),
                    "type": "month",
                    "cost": str(amount(cost)),
                    "nb_send": str(sends),
                }
            )
            month = _month_start(month, 1)
        return ok(datas=datas)
