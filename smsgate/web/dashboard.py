"""The customer's dashboard (`/portal`): balance, today's messages and MO, and the last
30 days of messages per day by status and spend per day, as server-drawn charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.core.messages import Status
from smsgate.core.money import format_amount
from smsgate.services.statistics import DAY, StatsRow
from smsgate.web.charts import Series, bar_chart
from smsgate.web.portal import Portal

DAYS = 30
MAX_INBOUND = 1000
NOT_DELIVERED = frozenset(
    {Status.UNDELIVERED, Status.EXPIRED, Status.REJECTED, Status.FAILED, Status.CANCELLED}
)


@dataclass(frozen=True, slots=True)
class Day:
    """One day's messages (delivered, waiting for an outcome, not delivered) and spend."""

    delivered: int = 0
    waiting: int = 0
    not_delivered: int = 0
    spend: int = 0

    @property
    def messages(self) -> int:
        return self.delivered + self.waiting + self.not_delivered

    def add(self, row: StatsRow) -> Day:
        delivered = row.messages if row.status is Status.DELIVERED else 0
        failed = row.messages if row.status in NOT_DELIVERED else 0
        return Day(
            self.delivered + delivered,
            self.waiting + row.messages - delivered - failed,
            self.not_delivered + failed,
            self.spend + row.cost,
        )


def by_day(rows: list[StatsRow], days: list[date]) -> list[Day]:
    found = dict.fromkeys(days, Day())
    for row in rows:
        if row.day in found:
            found[row.day] = found[row.day].add(row)
    return [found[d] for d in days]


@dataclass(eq=False, slots=True)
class DashboardPage:
    portal: Portal

    def routes(self) -> list[BaseRoute]:
        return [Route("/portal", self.portal.page(self.dashboard), methods=["GET"])]

    async def dashboard(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        ctx = self.portal.ctx
        balance, currency, _ = await ctx.accounts.balance(visitor.user)
        midnight = ctx.clock.now() // DAY * DAY
        since = midnight - (DAYS - 1) * DAY
        rows = await ctx.statistics.rows(visitor.user, since=since, until=midnight + DAY)
        first = datetime.fromtimestamp(since, UTC).date()
        days = [first + timedelta(days=i) for i in range(DAYS)]
        totals = by_day(rows, days)
        inbound, more = await ctx.inbound.page(visitor.user, since=midnight, limit=MAX_INBOUND)
        labels = [d.strftime("%d %b") for d in days]
        status_chart = bar_chart(
            "Messages per day by status, last 30 days",
            labels,
            [
                Series("delivered", "delivered", [d.delivered for d in totals]),
                Series("waiting", "pending", [d.waiting for d in totals]),
                Series("not delivered", "failed", [d.not_delivered for d in totals]),
            ],
        )
        spend_chart = bar_chart(
            f"Spend per day in {currency}, last 30 days",
            labels,
            [Series("spend", "spend", [d.spend for d in totals])],
            format_amount,
        )
        return self.portal.render(
            "dashboard.html",
            visitor,
            section="dashboard",
            balance=balance,
            currency=currency,
            today=totals[-1],
            inbound=f"{len(inbound)}{'+' if more else ''}",
            status_chart=status_chart,
            spend_chart=spend_chart,
            days=list(zip(days, totals, strict=True)),
        )
