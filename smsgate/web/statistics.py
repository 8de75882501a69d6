"""Statistics (`/portal/statistics`): the visitor's messages over a range of UTC days,
grouped by any of day, destination country and status, from `StatisticsService`; and
the same report as CSV (`/portal/statistics.csv`), streamed, no cell run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from smsgate.core.errors import InvalidRequest
from smsgate.core.messages import Status
from smsgate.core.money import format_amount
from smsgate.services.statistics import CountryGroup
from smsgate.web.ledger import cell
from smsgate.web.portal import HEADERS, Portal, Visitor

DAYS = 30  # the range shown first
MAX_DAYS = 366
GROUPS = ("day", "country", "status")
CSV_COLUMNS = (
    "day",
    "country",
    "status",
    "messages",
    "delivered",
    "delivery_rate",
    "parts",
    "cost",
    "currency",
)
CSV_ROWS = 500  # rows written per chunk of the export


@dataclass(frozen=True, slots=True)
class Period:
    """The report's form: UTC days `since` to `until` (both included), grouped by `by`."""

    since: date
    until: date
    by: tuple[str, ...]

    @classmethod
    def of(cls, params: QueryParams, today: date) -> Period:
        until = _day(params.get("until"), "until") or today
        since = _day(params.get("since"), "since") or until - timedelta(days=DAYS - 1)
        if until < since:
            raise InvalidRequest("the last day is before the first", field="until")
        if (until - since).days >= MAX_DAYS:
            raise InvalidRequest(f"a report covers at most {MAX_DAYS} days", field="since")
        # a form sent without any box ticked groups by nothing but currency
        by = tuple(g for g in GROUPS if g in params.getlist("by"))
        return cls(since, until, by if "submitted" in params or by else GROUPS)

    @property
    def bounds(self) -> tuple[float, float]:
        start = datetime(self.since.year, self.since.month, self.since.day, tzinfo=UTC)
        return start.timestamp(), start.timestamp() + ((self.until - self.since).days + 1) * 86_400

    @property
    def query(self) -> str:
        by = "".join(f"&by={g}" for g in self.by)
        return f"since={self.since.isoformat()}&until={self.until.isoformat()}{by}&submitted=1"


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise InvalidRequest(f"{field} is not a date (YYYY-MM-DD)", field=field) from exc


def csv_row(group: CountryGroup) -> list[str]:
    cells = [
        group.day.isoformat() if group.day else "",
        group.country or "",
        group.status.value if group.status else "",
        str(group.totals.messages),
        str(group.totals.by_status.get(Status.DELIVERED, 0)),
        f"{group.delivery_rate:.4f}",
        str(group.totals.parts),
        format_amount(group.totals.cost),
        group.currency,
    ]
    return [cell(c) for c in cells]


@dataclass(eq=False, slots=True)
class StatisticsPages:
    portal: Portal

    def routes(self) -> list[BaseRoute]:
        page = self.portal.page
        return [
            Route("/portal/statistics", page(self.statistics), methods=["GET"]),
            Route("/portal/statistics.csv", page(self.export), methods=["GET"]),
        ]

    async def statistics(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        today = datetime.fromtimestamp(self.portal.ctx.clock.now(), UTC).date()
        try:
            period = Period.of(request.query_params, today)
        except InvalidRequest as exc:
            default = Period(today - timedelta(days=DAYS - 1), today, GROUPS)
            return self._page(visitor, default, [], exc.message, 400)
        return self._page(visitor, period, await self._report(visitor, period))

    async def export(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        today = datetime.fromtimestamp(self.portal.ctx.clock.now(), UTC).date()
        period = Period.of(request.query_params, today)
        groups = await self._report(visitor, period)
        name = f"statistics-{visitor.user.name}-{period.since}-{period.until}.csv"
        return StreamingResponse(
            _rows(groups),
            media_type="text/csv; charset=utf-8",
            headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def _report(self, visitor: Visitor, period: Period) -> list[CountryGroup]:
        since, until = period.bounds
        return await self.portal.ctx.statistics.by_destination(
            visitor.user,
            since=since,
            until=until,
            day="day" in period.by,
            country="country" in period.by,
            status="status" in period.by,
        )

    def _page(
        self,
        visitor: Visitor,
        period: Period,
        groups: Sequence[CountryGroup],
        error: str = "",
        status: int = 200,
    ) -> Response:
        return self.portal.render(
            "statistics.html",
            visitor,
            status,
            section="statistics",
            period=period,
            groups=groups,
            error=error,
            delivered=Status.DELIVERED,
            total=sum(g.totals.messages for g in groups),
        )


async def _rows(groups: Sequence[CountryGroup]) -> AsyncIterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for start in range(0, max(len(groups), 1), CSV_ROWS):
        writer.writerows(csv_row(g) for g in groups[start : start + CSV_ROWS])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
