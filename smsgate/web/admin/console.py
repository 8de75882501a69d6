"""What every console page shares: a `Portal` with the console's own cookie, session key
and login page, the signed-in admin, and `record`, which writes an admin's change to the
audit log."""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment
from starlette.requests import Request

from smsgate.core.errors import NotFound
from smsgate.web.context import PortalContext
from smsgate.web.portal import LoginRequired, Portal, Visitor
from smsgate.web.sessions import SessionCodec

HOME = "/admin"
LOGIN = "/admin/login"
COOKIE = "smsgate_admin"


def console_portal(ctx: PortalContext, env: Environment) -> Portal:
    return Portal(
        ctx,
        SessionCodec(ctx.secret, purpose="admin"),
        env,
        cookie=COOKIE,
        path=HOME,
        login=LOGIN,
    )


@dataclass(eq=False, slots=True)
class Console:
    portal: Portal

    async def signed_in(self, request: Request) -> Visitor:
        """The logged-in admin; LoginRequired when there is none or it was removed."""
        session = self.portal.session(request)
        if session is None or session.user_id is None:
            raise LoginRequired
        try:
            admin = await self.portal.ctx.admins.get_by_id(session.user_id)
        except NotFound as exc:
            raise LoginRequired from exc
        return Visitor(session, self.portal.codec.csrf_token(session), admin=admin)

    async def record(self, visitor: Visitor, action: str, target: str, detail: str = "") -> None:
        assert visitor.admin is not None
        await self.portal.ctx.admins.record(visitor.admin, action, target, detail)
