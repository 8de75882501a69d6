"""The console's route table (`/admin/routes`): every route (prefix, account or all,
connector, priority: on a tie in prefix and account the lower number wins and the others
take over while its connector has no bind), a form to add one, and removing one."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.core.errors import InvalidRequest
from smsgate.services.connectors import BUILTIN_CONNECTORS
from smsgate.web.admin.changes import Form, apply, field
from smsgate.web.admin.console import Console
from smsgate.web.portal import Visitor

PAGE = "/admin/routes"
MAX_PRIORITY = 1_000_000


@dataclass(eq=False, slots=True)
class RoutePages:
    console: Console

    def routes(self) -> list[BaseRoute]:
        page = self.console.portal.page
        return [
            Route(PAGE, page(self.list_page), methods=["GET"]),
            Route(PAGE, page(self.add), methods=["POST"]),
            Route(PAGE + "/{route_id:int}/remove", page(self.remove), methods=["POST"]),
        ]

    async def list_page(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        return await self._page(visitor)

    async def add(self, request: Request) -> Response:
        ctx = self.console.portal.ctx

        async def change(form: Form) -> tuple[str, str, str]:
            connector = form.get("connector", "")
            if connector not in await self._connectors():
                raise InvalidRequest(f"no connector {connector!r}", field="connector")
            try:
                priority = int(form.get("priority", "").strip() or "0")
            except ValueError:
                priority = MAX_PRIORITY + 1
            if abs(priority) > MAX_PRIORITY:
                raise InvalidRequest(
                    f"the priority is a whole number from -{MAX_PRIORITY} to {MAX_PRIORITY}",
                    field="priority",
                )
            account = field(form, "account")
            account_id = (await ctx.accounts.get(account)).id if account else None
            added = await ctx.routes.add(
                form.get("prefix", ""), connector, account_id=account_id, priority=priority
            )
            who = f" account={account}" if account else ""
            prefix = f"+{added.prefix}" if added.prefix else "*"
            return "route.add", f"{prefix} -> {connector}", f"priority={priority}{who}"

        return await apply(self.console, request, change, PAGE, self._refused)

    async def remove(self, request: Request) -> Response:
        route_id = request.path_params["route_id"]

        async def change(form: Form) -> tuple[str, str, str]:
            await self.console.portal.ctx.routes.remove(route_id)
            return "route.remove", str(route_id), ""

        return await apply(self.console, request, change, PAGE, self._refused)

    async def _connectors(self) -> list[str]:
        defined = [d.name for d in await self.console.portal.ctx.connectors.list()]
        return defined + sorted(BUILTIN_CONNECTORS)

    async def _refused(self, visitor: Visitor, error: str, form: Form, status: int) -> Response:
        return await self._page(visitor, error, form, status)

    async def _page(
        self, visitor: Visitor, error: str = "", form: Form | None = None, status: int = 200
    ) -> Response:
        ctx = self.console.portal.ctx
        routes = await ctx.routes.list()
        names: dict[int, str] = {}
        for account_id in {r.account_id for r in routes if r.account_id is not None}:
            names[account_id] = (await ctx.accounts.get_by_id(account_id)).name
        return self.console.portal.render(
            "admin/routes.html",
            visitor,
            status,
            section="routes",
            routes=routes,
            names=names,
            connectors=await self._connectors(),
            error=error,
            draft=form or {},
        )
