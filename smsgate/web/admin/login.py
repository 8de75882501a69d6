"""Admins logging in to the console (through `AdminService.log_in`, so failed logins
are counted and blocked like customers') and out."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from smsgate.core.errors import LoginBlocked, Unauthenticated
from smsgate.web.admin.console import HOME, LOGIN, Console
from smsgate.web.portal import LoginRequired
from smsgate.web.sessions import Session


@dataclass(eq=False, slots=True)
class AdminLoginPages:
    console: Console

    def routes(self) -> list[BaseRoute]:
        page = self.console.portal.page
        return [
            Route(LOGIN, page(self.login_form), methods=["GET"]),
            Route(LOGIN, page(self.login), methods=["POST"]),
            Route("/admin/logout", page(self.logout), methods=["POST"]),
        ]

    async def login_form(self, request: Request) -> Response:
        portal = self.console.portal
        try:
            await self.console.signed_in(request)
            return RedirectResponse(HOME, 303)
        except LoginRequired:
            pass
        session = portal.session(request)
        if session is None or session.user_id is not None:
            session = portal.codec.new(portal.ctx.clock.now())
        return portal.keep(self._form(session, ""), request, session)

    async def login(self, request: Request) -> Response:
        portal = self.console.portal
        session = portal.session(request)
        form = await portal.form(request, session)
        assert session is not None
        name, password = form.get("name", "").strip(), form.get("password", "")
        peer = request.client.host if request.client else None
        try:
            if not name or not password:
                raise Unauthenticated("enter the admin name and its password")
            admin = await portal.ctx.admins.log_in(name, password, peer)
        except LoginBlocked as exc:
            return self._form(session, name, 429, exc.message)
        except Unauthenticated:
            return self._form(session, name, 401, "Wrong admin name or password.")
        signed_in = portal.codec.new(portal.ctx.clock.now(), admin.id)
        return portal.keep(RedirectResponse(HOME, 303), request, signed_in)

    async def logout(self, request: Request) -> Response:
        portal = self.console.portal
        await portal.form(request, portal.session(request))
        return portal.forget(RedirectResponse(LOGIN, 303))

    def _form(
        self, session: Session, name: str, status: int = 200, error: str | None = None
    ) -> Response:
        portal = self.console.portal
        errors = {} if error is None else {"error": error}
        return portal.render(
            "login.html",
            portal.visitor(session),
            status,
            name=name,
            action=LOGIN,
            heading="Operator console",
            who="Admin name",
            **errors,
        )
