"""Webhook settings (`/portal/webhooks`): the account's default MO webhook and its shape
(the inbound settings the API's `/api/v1/inbound/settings` sets, checked the same way),
the webhooks of its own numbers, a "Send a test" that POSTs a signed sample MO to the
default one and shows the answer, and the recent deliveries of the account's receipt and
MO webhooks with their last answers."""

from __future__ import annotations

from dataclasses import dataclass, replace

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from smsgate.core.errors import SmsgateError
from smsgate.services.account_webhooks import ProbeAnswer
from smsgate.services.inbound_numbers import NATIVE, SHAPES
from smsgate.services.inbound_plan import InboundSettings
from smsgate.web.portal import Portal, Visitor

DELIVERIES = 50
MAX_URL_FIELD = 4096


@dataclass(eq=False, slots=True)
class WebhookPages:
    portal: Portal

    def routes(self) -> list[BaseRoute]:
        page = self.portal.page
        return [
            Route("/portal/webhooks", page(self.webhooks), methods=["GET"]),
            Route("/portal/webhooks", page(self.save), methods=["POST"]),
            Route("/portal/webhooks/test", page(self.test), methods=["POST"]),
        ]

    async def webhooks(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        settings = await self.portal.ctx.inbound_settings.get(visitor.user)
        saved = request.query_params.get("saved") == "1"
        return await self._page(visitor, settings, saved=saved)

    async def save(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        form = await self.portal.form(request, visitor.session)
        ctx = self.portal.ctx
        current = await ctx.inbound_settings.get(visitor.user)
        url = form.get("webhook_url", "")[:MAX_URL_FIELD].strip() or None
        shape = form.get("webhook_shape", NATIVE)[:40]
        wanted = replace(current, webhook_url=url, webhook_shape=shape)
        try:
            await ctx.inbound_settings.set(wanted)
        except SmsgateError as exc:
            return await self._page(visitor, wanted, error=exc.message, status=400)
        return RedirectResponse("/portal/webhooks?saved=1", 303)

    async def test(self, request: Request) -> Response:
        visitor = await self.portal.signed_in(request)
        await self.portal.form(request, visitor.session)
        ctx = self.portal.ctx
        settings = await ctx.inbound_settings.get(visitor.user)
        try:
            answer = await ctx.webhooks.test(visitor.user)
        except SmsgateError as exc:
            return await self._page(visitor, settings, error=exc.message, status=400)
        return await self._page(visitor, settings, answer=answer)

    async def _page(
        self,
        visitor: Visitor,
        settings: InboundSettings,
        *,
        answer: ProbeAnswer | None = None,
        saved: bool = False,
        error: str = "",
        status: int = 200,
    ) -> Response:
        webhooks = self.portal.ctx.webhooks
        deliveries = await webhooks.deliveries(visitor.user, DELIVERIES)
        numbers = await webhooks.number_webhooks(visitor.user)
        return self.portal.render(
            "webhooks.html",
            visitor,
            status,
            section="webhooks",
            settings=settings,
            shapes=SHAPES,
            answer=answer,
            saved=saved,
            error=error,
            deliveries=deliveries,
            numbers=numbers,
        )
