"""The console's connectors (`/admin/connectors`): every connector with its live state
(binds, window, throughput, errors, held messages; `/admin/connectors/state` is the part
the page reloads every 2 s), and forms to add one, enable, disable and remove it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.core.errors import InvalidRequest
from smsgate.services.connectors import BUILTIN_CONNECTORS
from smsgate.web.admin.changes import Form, apply, field
from smsgate.web.admin.console import Console
from smsgate.web.portal import Visitor

PAGE = "/admin/connectors"
# The settings the add form asks for (those of `smsgate connector add`), by kind.
TEXTS = ("host", "system_id", "password", "system_type", "bind")
CHOICES = ("default_alphabet", "concat", "id_format")
INTEGERS = ("port", "binds", "window", "source_ton", "source_npi", "dest_ton", "dest_npi")
DECIMALS = ("throughput",)


def settings_of(form: Form) -> dict[str, Any]:
    """The settings typed in the add form; those left empty take their defaults."""
    settings: dict[str, Any] = {}
    for name in TEXTS + CHOICES:
        value = field(form, name)
        if value is not None:
            settings[name] = value
    for name in INTEGERS + DECIMALS:
        value = field(form, name)
        if value is None:
            continue
        try:
            settings[name] = int(value) if name in INTEGERS else float(value)
        except ValueError as exc:
            kind = "a whole number" if name in INTEGERS else "a number"
            raise InvalidRequest(f"{name} must be {kind}, not {value!r}", field=name) from exc
    if form.get("tls"):
        settings["tls"] = True
    return settings


@dataclass(eq=False, slots=True)
class ConnectorPages:
    console: Console

    def routes(self) -> list[BaseRoute]:
        page = self.console.portal.page
        return [
            Route(PAGE, page(self.list_page), methods=["GET"]),
            Route(f"{PAGE}/state", page(self.state), methods=["GET"]),
            Route(PAGE, page(self.add), methods=["POST"]),
            Route(PAGE + "/{name}/enable", page(self.enable), methods=["POST"]),
            Route(PAGE + "/{name}/disable", page(self.disable), methods=["POST"]),
            Route(PAGE + "/{name}/remove", page(self.remove), methods=["POST"]),
        ]

    async def list_page(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        return await self._page(visitor)

    async def state(self, request: Request) -> Response:
        visitor = await self.console.signed_in(request)
        return self.console.portal.render(
            "admin/connector_state.html", visitor, **await self._state()
        )

    async def add(self, request: Request) -> Response:
        async def change(form: Form) -> tuple[str, str, str]:
            name, type_ = form.get("name", "").strip(), form.get("type", "").strip()
            added = await self.console.portal.ctx.connectors.add(name, type_, settings_of(form))
            s = added.settings
            where = f" {s['host']}:{s['port']}" if "host" in s else ""
            return "connector.add", added.name, f"{added.type}{where}"

        return await apply(self.console, request, change, PAGE, self._refused)

    async def enable(self, request: Request) -> Response:
        return await self._switch(request, True)

    async def disable(self, request: Request) -> Response:
        return await self._switch(request, False)

    async def _switch(self, request: Request, enabled: bool) -> Response:
        name = request.path_params["name"]

        async def change(form: Form) -> tuple[str, str, str]:
            await self.console.portal.ctx.connectors.set_enabled(name, enabled)
            return f"connector.{'enable' if enabled else 'disable'}", name, ""

        return await apply(self.console, request, change, PAGE, self._refused)

    async def remove(self, request: Request) -> Response:
        name = request.path_params["name"]

        async def change(form: Form) -> tuple[str, str, str]:
            await self.console.portal.ctx.connectors.remove(name)
            return "connector.remove", name, ""

        return await apply(self.console, request, change, PAGE, self._refused)

    async def _refused(self, visitor: Visitor, error: str, form: Form, status: int) -> Response:
        return await self._page(visitor, error, form, status)

    async def _page(
        self, visitor: Visitor, error: str = "", form: Form | None = None, status: int = 200
    ) -> Response:
        ctx = self.console.portal.ctx
        return self.console.portal.render(
            "admin/connectors.html",
            visitor,
            status,
            section="connectors",
            types=sorted(ctx.connectors.parsers),
            builtin=sorted(BUILTIN_CONNECTORS),
            error=error,
            draft=form or {},
            **await self._state(),
        )

    async def _state(self) -> dict[str, Any]:
        ctx = self.console.portal.ctx
        live = await ctx.connector_states.current()
        return {
            "definitions": await ctx.connectors.list(),
            "live": live,
            "as_of": max((s.updated_at for s in live.values()), default=None),
            "held": await ctx.connectors.held(),
            "queue_depth": await ctx.health.queue_depth(),
        }
