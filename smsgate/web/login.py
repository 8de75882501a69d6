"""Logging in with the account name and password (through the `Authenticator`, so the
failed-login lockout applies as it does to HTTP Basic) and logging out."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from smsgate.core.errors import Forbidden, LoginBlocked, Unauthenticated
from smsgate.web.portal import LOGIN, LoginRequired, Portal
from smsgate.web.sessions import Session

HOME = "/portal"


@dataclass(eq=False, slots=True)
class LoginPages:
    portal: Portal

    def routes(self) -> list[BaseRoute]:
        page = self.portal.page
        return [
            Route("/", self.root, methods=["GET"]),
            Route(LOGIN, page(self.login_form), methods=["GET"]),
            Route(LOGIN, page(self.login), methods=["POST"]),
            Route("/portal/logout", page(self.logout), methods=["POST"]),
        ]

    async def root(self, request: Request) -> Response:
        return RedirectResponse(LOGIN, 307)

    async def login_form(self, request: Request) -> Response:
        try:
            await self.portal.signed_in(request)
            return RedirectResponse(HOME, 303)
        except LoginRequired:
            pass
        session = self.portal.session(request)
        if session is None or session.user_id is not None:
            # no session, or one whose account may not come in any more: start afresh
            session = self.portal.codec.new(self.portal.ctx.clock.now())
        response = self.portal.render("login.html", self.portal.visitor(session), name="")
        return self.portal.keep(response, request, session)

    async def login(self, request: Request) -> Response:
        session = self.portal.session(request)
        form = await self.portal.form(request, session)
        assert session is not None
        name, password = form.get("name", "").strip(), form.get("password", "")
        peer = request.client.host if request.client else None
        ctx = self.portal.ctx
        try:
            if not name or not password:
                raise Unauthenticated("enter the account name and its password")
            account = await ctx.auth.by_password(name, password, peer)
            if not account.is_active:
                raise Forbidden("this account is suspended")
            await ctx.policies.check_address(account.id, peer)
        except LoginBlocked as exc:
            return self._refused(session, name, 429, exc.message)
        except Unauthenticated:
            return self._refused(session, name, 401, "Wrong account name or password.")
        except Forbidden as exc:
            return self._refused(session, name, 403, exc.message)
        # A new nonce on login: a token seen before it is worth nothing after.
        signed_in = self.portal.codec.new(ctx.clock.now(), account.id)
        return self.portal.keep(RedirectResponse(HOME, 303), request, signed_in)

    async def logout(self, request: Request) -> Response:
        await self.portal.form(request, self.portal.session(request))
        return self.portal.forget(RedirectResponse(LOGIN, 303))

    def _refused(self, session: Session, name: str, status: int, error: str) -> Response:
        visitor = self.portal.visitor(session)
        return self.portal.render("login.html", visitor, status, name=name, error=error)
