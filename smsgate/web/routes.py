"""The portal's routes, served by the gateway's HTTP app next to the native API: `/`
(to the login page), `/portal/...` pages, the operator console's `/admin/...` pages, and
`/portal/static/` (CSS, vendored htmx)."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from smsgate.web.admin.accounts import AccountPages
from smsgate.web.admin.audit import AuditPages
from smsgate.web.admin.connectors import ConnectorPages
from smsgate.web.admin.console import Console, console_portal
from smsgate.web.admin.health import HealthPage
from smsgate.web.admin.inbound import InboundPages
from smsgate.web.admin.login import AdminLoginPages
from smsgate.web.admin.prices import PricePages
from smsgate.web.admin.routes import RoutePages
from smsgate.web.context import PortalContext
from smsgate.web.dashboard import DashboardPage
from smsgate.web.inbox import InboxPages
from smsgate.web.keys import KeyPages
from smsgate.web.ledger import LedgerPages
from smsgate.web.login import LoginPages
from smsgate.web.messages import MessagePages
from smsgate.web.portal import Portal, templates
from smsgate.web.send import SendPages
from smsgate.web.senders import SenderPages
from smsgate.web.sessions import SessionCodec
from smsgate.web.statistics import StatisticsPages
from smsgate.web.stoplist import StopListPages
from smsgate.web.subaccounts import SubaccountPages
from smsgate.web.webhooks import WebhookPages

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
        *SubaccountPages(portal).routes(),
        *KeyPages(portal).routes(),
        *SenderPages(portal).routes(),
        *StopListPages(portal).routes(),
        *InboxPages(portal).routes(),
        *StatisticsPages(portal).routes(),
        *WebhookPages(portal).routes(),
        *AccountPages(console).routes(),
        *PricePages(console).routes(),
        *ConnectorPages(console).routes(),
        *RoutePages(console).routes(),
        *InboundPages(console).routes(),
        *HealthPage(console).routes(),
        Mount("/portal/static", StaticFiles(directory=STATIC), name="portal-static"),
    ]
