"""The visitor's sender ids (`/portal/senders`): the list, a new one (checked by
`SendersService` with the rules of the API: up to 11 letters and digits, or a number of
up to 16 digits) and deleting one (another account's id is 404)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from smsgate.core.errors import Conflict, InvalidRequest
from smsgate.web.portal import Portal, Visitor

LIST = "/portal/senders"


@dataclass(eq=False, slots=True)
class SenderPages:
    portal: Portal

    def routes(self) -> list[BaseRoute]:
        page = self.portal.page
        return [
            Route(LIST, page(self.senders), methods=["GET"]),
            Route(LIST, page(self.add), methods=["POST"]),
            Route(LIST + "/{sender_id:int}/delete", page(self.delete), methods=["POST"]),
        ]

    async def senders(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        return await self._list(visitor)

    async def add(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        form = await self.portal.form(request, visitor.session)
        sender = form.get("sender", "")
        try:
            await self.portal.ctx.senders.add(visitor.user, sender)
        except Conflict as exc:
            return await self._list(visitor, sender, exc.message, 409)
        except InvalidRequest as exc:
            return await self._list(visitor, sender, exc.message, 400)
        return RedirectResponse(LIST, 303)

    async def delete(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        await self.portal.form(request, visitor.session)
        sender_id: int = request.path_params["sender_id"]
        await self.portal.ctx.senders.delete(visitor.user, sender_id=sender_id)
        return RedirectResponse(LIST, 303)

    async def _list(
        self, visitor: Visitor, sender: str = "", error: str = "", status: int = 200
    ) -> Response:
        found = await self.portal.ctx.senders.list(visitor.user)
        return self.portal.render(
            "senders.html",
            visitor,
            status,
            section="senders",
            senders=found,
            sender=sender,
            error=error,
        )
