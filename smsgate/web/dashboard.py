"""The customer's dashboard (`/portal`): balance, today's messages and MO, and the last
30 days of messages per day by status, spend per day and the delivery rate by destination
country, as server-drawn charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.core.messages import Status
from smsgate.core.money import format_amount
from smsgate.services.statistics import DAY, CountryGroup, StatsRow
from smsgate.web.charts import Series, bar_chart
from smsgate.web.portal import Portal

DAYS = 30
MAX_INBOUND = 1000
MAX_COUNTRIES = 12  # the destinations with the most messages drawn
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

    def add(self, status: Status, messages: int, cost: int) -> Day:
        delivered = messages if status is Status.DELIVERED else 0
        failed = messages if status in NOT_DELIVERED else 0
        return Day(
            self.delivered + delivered,
            self.waiting + messages - delivered - failed,
            self.not_delivered + failed,
            self.spend + cost,
        )


@dataclass(frozen=True, slots=True)
class Rates:
    """One destination's messages as shares in tenths of a percent (they add up to 1000)."""

    country: str
    messages: int
    delivered: int
    waiting: int
    not_delivered: int

    @classmethod
    def of(cls, country: str, by_status: dict[Status, int]) -> Rates:
        messages = sum(by_status.values())
        delivered = by_status.get(Status.DELIVERED, 0)
        failed = sum(n for s, n in by_status.items() if s in NOT_DELIVERED)
        counts = [delivered, messages - delivered - failed, failed]
        shares = [n * 1000 // messages if messages else 0 for n in counts]
        if messages:  # what rounding down left goes to the largest share
            shares[counts.index(max(counts))] += 1000 - sum(shares)
        return cls(country, messages, *shares)


def by_country(groups: list[CountryGroup]) -> list[Rates]:
    """The destinations with the most messages (MAX_COUNTRIES), most first."""
    found: dict[str, dict[Status, int]] = {}
    for group in groups:
        counts = found.setdefault(group.country or "ZZ", {})
        for status, count in group.totals.by_status.items():
            counts[status] = counts.get(status, 0) + count
    rates = [Rates.of(country, counts) for country, counts in found.items()]
    rates.sort(key=lambda r: (-r.messages, r.country))
    return rates[:MAX_COUNTRIES]


def per_mille(value: int) -> str:
    return f"{value / 10:.1f}%"


def by_day(groups: list[CountryGroup], retained: list[StatsRow], days: list[date]) -> list[Day]:
    """Each day's totals: the live messages (`groups`, by day and status) and what
    retention deleted."""
    found = dict.fromkeys(days, Day())
    counts = [(g.day, g.status, g.totals.messages, g.totals.cost) for g in groups]
    counts += [(r.day, r.status, r.messages, r.cost) for r in retained]
    for day, status, messages, cost in counts:
        if day in found and status is not None:
            found[day] = found[day].add(status, messages, cost)
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
        until, statistics = midnight + DAY, ctx.statistics
        daily = await statistics.by_destination(
            visitor.user, since=since, until=until, country=False
        )
        retained = await statistics.retained(visitor.user, since=since, until=until)
        first = datetime.fromtimestamp(since, UTC).date()
        days = [first + timedelta(days=i) for i in range(DAYS)]
        totals = by_day(daily, retained, days)
        countries = await statistics.by_destination(
            visitor.user, since=since, until=until, day=False
        )
        rates = by_country(countries)
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
        rate_chart = bar_chart(
            "Delivery rate by destination country, last 30 days",
            [r.country for r in rates],
            [
                Series("delivered", "delivered", [r.delivered for r in rates]),
                Series("waiting", "pending", [r.waiting for r in rates]),
                Series("not delivered", "failed", [r.not_delivered for r in rates]),
            ],
            per_mille,
            label_every=1,
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
            rate_chart=rate_chart,
            rates=rates,
            days=list(zip(days, totals, strict=True)),
        )
