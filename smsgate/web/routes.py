"""The portal's routes, served by the gateway's HTTP app next to the native API: `/`
(to the login page), `/portal/...` pages, the operator console's `/admin/...` pages, and
`/portal/static/` (CSS, vendored htmx)."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from smsgate.web.admin.audit import AuditPages
from smsgate.web.admin.connectors import ConnectorPages
from smsgate.web.admin.console import Console, console_portal
from smsgate.web.admin.health import HealthPage
from smsgate.web.admin.inbound import InboundPages
from smsgate.web.admin.login import AdminLoginPages
from smsgate.web.admin.routes import RoutePages
from smsgate.web.context import PortalContext
from smsgate.web.dashboard import DashboardPage
from smsgate.web.ledger import LedgerPages
from smsgate.web.login import LoginPages
from smsgate.web.messages import MessagePages
from smsgate.web.portal import Portal, templates
from smsgate.web.send import SendPages
from smsgate.web.sessions import SessionCodec

STATIC = Path(__file__).parent / "static"


def portal_routes(ctx: PortalContext) -> list[BaseRoute]:
    env = templates()
    portal = Portal(ctx, SessionCodec(ctx.secret), env)
    console = Console(console_portal(ctx, env))
    return [
        *LoginPages(portal).routes(),
        *DashboardPage(portal).routes(),
        *SendPages(portal).routes(),
        *MessagePages(portal).routes(),
        *LedgerPages(portal).routes(),
        *AdminLoginPages(console).routes(),
        *AuditPages(console).routes(),
        *ConnectorPages(console).routes(),
        *RoutePages(console).routes(),
        *InboundPages(console).routes(),
        *HealthPage(console).routes(),
        Mount("/portal/static", StaticFiles(directory=STATIC), name="portal-static"),
    ]
