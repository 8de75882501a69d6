"""The inbound inbox (`/portal/inbox`: the MO routed to the visitor's account, newest
first, cursor pages) and one MO's page with a reply form: an MT to its sender from the
number it came in on, sent through `SubmitService` as any send."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from smsgate.core.errors import InsufficientCredit, NotFound, SmsgateError
from smsgate.services.inbound import StoredInbound
from smsgate.services.inbound_numbers import normalise_number
from smsgate.services.submit import SubmitCommand
from smsgate.web.portal import Portal, Visitor

PAGE = 50


def reply_route(mo: StoredInbound) -> tuple[str, str] | None:
    """(recipient, sender) of a reply to `mo`: its sender, from the number it came in
    on; None when its sender is not a number a message can go to."""
    to = normalise_number(mo.source)
    if to is None:
        return None
    return to, normalise_number(mo.destination) or mo.destination


@dataclass(eq=False, slots=True)
class InboxPages:
    portal: Portal

    def routes(self) -> list[BaseRoute]:
        page = self.portal.page
        return [
            Route("/portal/inbox", page(self.inbox), methods=["GET"]),
            Route("/portal/inbox/{inbound_id}", page(self.one), methods=["GET"]),
            Route("/portal/inbox/{inbound_id}/reply", page(self.reply), methods=["POST"]),
        ]

    async def inbox(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        cursor = request.query_params.get("cursor") or None
        found, next_cursor = await self.portal.ctx.inbound.page(
            visitor.user, limit=PAGE, cursor=cursor
        )
        return self.portal.render(
            "inbox.html",
            visitor,
            section="inbox",
            messages=found,
            next_cursor=next_cursor,
            first=cursor is not None,
        )

    async def one(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        mo = await self._mo(visitor, request.path_params["inbound_id"])
        return self._page(visitor, mo)

    async def reply(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        mo = await self._mo(visitor, request.path_params["inbound_id"])
        form = await self.portal.form(request, visitor.session)
        text = form.get("text", "")
        route = reply_route(mo)
        if route is None:
            return self._page(visitor, mo, text, "This sender cannot receive a reply.", 400)
        if not text.strip():
            return self._page(visitor, mo, text, "Write the reply's text.", 400)
        to, sender = route
        command = SubmitCommand((to,), sender, text)
        try:
            accepted = await self.portal.ctx.submit.submit(visitor.user, command)
        except InsufficientCredit as exc:
            return self._page(visitor, mo, text, exc.message, 402)
        except SmsgateError as exc:
            return self._page(visitor, mo, text, exc.message, 400)
        return RedirectResponse(f"/portal/batches/{accepted.batch_id}", 303)

    async def _mo(self, visitor: Visitor, inbound_id: str) -> StoredInbound:
        if not (inbound_id.isascii() and inbound_id.isdigit() and len(inbound_id) <= 18):
            raise NotFound(f"no inbound message {inbound_id}")
        return await self.portal.ctx.inbound.get(visitor.user, int(inbound_id))

    def _page(
        self,
        visitor: Visitor,
        mo: StoredInbound,
        text: str = "",
        error: str = "",
        status: int = 200,
    ) -> Response:
        route = reply_route(mo)
        return self.portal.render(
            "inbound.html",
            visitor,
            status,
            section="inbox",
            mo=mo,
            reply_to=route[0] if route else None,
            reply_from=route[1] if route else None,
            text=text,
            error=error,
        )
