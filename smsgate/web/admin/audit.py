"""The console's start page and the audit log (`/admin/audit`, newest first, cursor
pages)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.web.admin.console import HOME, Console
from smsgate.web.admin.health import size
from smsgate.web.ledger import parse_cursor

PAGE = 50


@dataclass(eq=False, slots=True)
class AuditPages:
    console: Console

    def routes(self) -> list[BaseRoute]:
        page = self.console.portal.page
        return [
            Route(HOME, page(self.home), methods=["GET"]),
            Route("/admin/audit", page(self.audit), methods=["GET"]),
        ]

    async def home(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        ctx = self.console.portal.ctx
        recent = await ctx.admins.audit(limit=10)
        return self.console.portal.render(
            "admin/home.html",
            visitor,
            section="home",
            recent=recent,
            health=await ctx.health.check(),
            size=size,
        )

    async def audit(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        before = parse_cursor(request.query_params.get("cursor"))
        entries = await self.console.portal.ctx.admins.audit(before_id=before, limit=PAGE + 1)
        more = len(entries) > PAGE
        entries = entries[:PAGE]
        return self.console.portal.render(
            "admin/audit.html",
            visitor,
            section="audit",
            entries=entries,
            next_cursor=entries[-1].id if more else None,
            first=before is not None,
        )
