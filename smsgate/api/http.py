"""The HTTP app factory: native routes, health, metrics and docs from one list of
`Operation`s, `extra_routes` (dialects, callbacks) after them, and `FixedPaths`, the
ASGI entry that times every request and sends a fixed-path operation straight to its
endpoint. Errors are answered by `errors.error_reply` on every path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message, Receive, Scope, Send

from smsgate.api.auth import RequestAuthenticator
from smsgate.api.body import json_response
from smsgate.api.context import ApiContext
from smsgate.api.errors import Endpoint, error_reply, guarded
from smsgate.api.metrics import Metrics
from smsgate.api.native.accounts import AccountEndpoints
from smsgate.api.native.docs import DocsEndpoints
from smsgate.api.native.inbound import InboundEndpoints
from smsgate.api.native.messages import MessageEndpoints
from smsgate.api.native.openapi import Operation, Reply, encode_document
from smsgate.api.native.schemas import Health
from smsgate.api.native.settings import SettingsEndpoints
from smsgate.api.native.stoplist import StopListEndpoints
from smsgate.core.errors import SmsgateError

logger = logging.getLogger(__name__)


def native_operations(ctx: ApiContext, metrics: Metrics, docs: DocsEndpoints) -> list[Operation]:
    """Every operation of the native API, in the order the document lists them."""
    who = RequestAuthenticator(ctx.auth, ctx.policies)
    return [
        *MessageEndpoints(who, ctx).operations(),
        *AccountEndpoints(who, ctx).operations(),
        *SettingsEndpoints(who, ctx).operations(),
        *StopListEndpoints(who, ctx).operations(),
        *InboundEndpoints(who, ctx).operations(),
        _health_operation(ctx.health),
        *metrics.operations(),
        *docs.operations(),
    ]


def build_app(ctx: ApiContext) -> FixedPaths:
    metrics = Metrics(ctx.stats, ctx.queue_depth, ctx.held_messages)
    docs = DocsEndpoints()
    operations = native_operations(ctx, metrics, docs)
    docs.publish(encode_document(operations))
    endpoints = [(op, guarded(op.endpoint)) for op in operations]
    by_path: dict[str, dict[str, Endpoint]] = {}
    for op, endpoint in endpoints:
        by_path.setdefault(op.path, {})[op.method] = endpoint
    # One route per path, so that a 405 names every method of the path in `Allow`.
    routes: list[BaseRoute] = [
        Route(path, _by_method(endpoints), methods=list(endpoints))
        for path, endpoints in by_path.items()
    ]
    routes.extend(ctx.extra_routes)
    # What the routes that are not guarded (dialects, callbacks) and the router raise
    # is answered by the same function as the guarded endpoints.
    app = Starlette(
        routes=routes,
        exception_handlers={
            HTTPException: error_reply,
            SmsgateError: error_reply,
            Exception: error_reply,
        },
    )
    fixed = {(op.method, op.path): endpoint for op, endpoint in endpoints if "{" not in op.path}
    return FixedPaths(fixed, app, metrics)


class FixedPaths:
    """The ASGI entry: times every HTTP request, and sends one whose method and path name
    an operation to its endpoint directly.

    The dictionary lookup skips Starlette's router and middleware (docs/architecture.md).
    Anything else (path parameters, HEAD, a trailing slash, a root path, the dialects)
    is passed to `app`. The latency label is the route template, never the raw path;
    requests no route matched share one "unmatched" label.
    """

    def __init__(
        self, endpoints: Mapping[tuple[str, str], Endpoint], app: Starlette, metrics: Metrics
    ) -> None:
        self._endpoints = dict(endpoints)
        self._app = app
        self._metrics = metrics

    @property
    def routes(self) -> list[BaseRoute]:
        """Every route, the fixed paths included."""
        return self._app.routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        method, path = scope["method"], scope["path"]
        endpoint = None if scope.get("root_path") else self._endpoints.get((method, path))
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if endpoint is None:
                await self._app(scope, receive, send_status)
            else:
                response = await endpoint(Request(scope, receive))
                await response(scope, receive, send_status)
        finally:
            route = path if endpoint is not None else getattr(scope.get("route"), "path", None)
            self._metrics.observe(method, route or "unmatched", status, started)


def _by_method(endpoints: Mapping[str, Endpoint]) -> Endpoint:
    """The endpoint of a path: the one there is, or the one for the request's method."""
    if len(endpoints) == 1:
        return next(iter(endpoints.values()))

    async def by_method(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    by_method.__name__ = "_or_".join(e.__name__ for e in endpoints.values())
    return by_method


def _health_operation(health: Callable[[], Awaitable[bool]]) -> Operation:
    async def get_health(request: Request) -> Response:
        try:
            healthy = await health()
        except Exception:
            logger.exception("health check failed")
            healthy = False
        if healthy:
            return json_response(Health("ok"))
        return json_response(Health("unavailable"), 503)

    return Operation(
        "GET",
        "/healthz",
        get_health,
        "Whether this node can serve requests (its store answers)",
        {200: Reply("healthy", Health), 503: Reply("unhealthy", Health)},
        "operations",
        auth=False,
    )
