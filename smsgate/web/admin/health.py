"""The console's system health (`/admin/health`): this process and the live nodes, the
store's size, the send queue, the messages held for connectors and the outboxes."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.services.health import OUTBOXES
from smsgate.web.admin.console import Console


def size(count: int | None) -> str:
    """Bytes in the largest unit that keeps the number at least 1."""
    if count is None:
        return "in memory"
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def uptime(seconds: float) -> str:
    """ "3d 4h", "2h 5m", "4m 10s"."""
    whole = max(0, int(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s"


@dataclass(eq=False, slots=True)
class HealthPage:
    console: Console

    def routes(self) -> list[BaseRoute]:
        return [Route("/admin/health", self.console.portal.page(self.health), methods=["GET"])]

    async def health(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        return self.console.portal.render(
            "admin/health.html",
            visitor,
            section="health",
            health=await self.console.portal.ctx.health.check(),
            outboxes=OUTBOXES,
            size=size,
            uptime=uptime,
        )
