"""The customer's dashboard (`/portal`): balance, today's messages and MO, and the last
30 days of messages per day by status and spend per day, as server-drawn charts."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.web.portal import Portal


@dataclass(eq=False, slots=True)
class DashboardPage:
    portal: Portal

    def routes(self) -> list[BaseRoute]:
        return [Route("/portal", self.portal.page(self.dashboard), methods=["GET"])]

    async def dashboard(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        balance, currency, _ = await self.portal.ctx.accounts.balance(visitor.user)
        return self.portal.render(
            "dashboard.html", visitor, section="dashboard", balance=balance, currency=currency
        )
