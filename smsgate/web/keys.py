"""The visitor's API keys (`/portal/keys`): the list (display prefix, created, revoked),
a new key (shown once, on the answer to the form that made it, never again: only its
hash and prefix are kept) and revoking one by its prefix (another account's is 404)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from smsgate.web.portal import Portal, Visitor

LIST = "/portal/keys"


@dataclass(eq=False, slots=True)
class KeyPages:
    portal: Portal

    def routes(self) -> list[BaseRoute]:
        page = self.portal.page
        return [
            Route(LIST, page(self.keys), methods=["GET"]),
            Route(LIST, page(self.create), methods=["POST"]),
            Route(LIST + "/{prefix}/revoke", page(self.revoke), methods=["POST"]),
        ]

    async def keys(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        return await self._list(visitor)

    async def create(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        await self.portal.form(request, visitor.session)
        key = await self.portal.ctx.accounts.create_key(visitor.user)
        return await self._list(visitor, key)

    async def revoke(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        await self.portal.form(request, visitor.session)
        await self.portal.ctx.accounts.revoke_key(visitor.user, request.path_params["prefix"])
        return RedirectResponse(LIST, 303)

    async def _list(self, visitor: Visitor, new_key: str = "") -> Response:
        keys = await self.portal.ctx.accounts.keys(visitor.user)
        return self.portal.render("keys.html", visitor, section="keys", keys=keys, new_key=new_key)
