"""HTTP callbacks from operators (receipts, MO): `/callbacks/{connector}/{path}` is handed
to the handler its connector's type gives for (method, path), found by `lookup` (wired by
the composition root); 404 when there is none. Each handler checks its own credentials.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.api.body import read_body
from smsgate.services.ports import CallbackHandler, CallbackRequest

PREFIX = "/callbacks"
CallbackLookup = Callable[[str, str, str], Awaitable[CallbackHandler | None]]


def callback_routes(lookup: CallbackLookup, *, max_body_bytes: int) -> list[BaseRoute]:
    """The one route under PREFIX; `lookup(connector, method, path)` finds the handler."""

    async def endpoint(request: Request) -> Response:
        connector: str = request.path_params["connector"]
        path: str = request.path_params["path"]
        handler = await lookup(connector, request.method, path)
        if handler is None:
            return Response("no such callback\n", status_code=404, media_type="text/plain")
        reply = await handler(
            CallbackRequest(
                connector=connector,
                method=request.method,
                path=path,
                query=dict(request.query_params),
                headers=dict(request.headers),
                body=await read_body(request, max_body_bytes),
            )
        )
        return Response(reply.body, status_code=reply.status, media_type=reply.content_type)

    return [Route(PREFIX + "/{connector}/{path:path}", endpoint, methods=["GET", "POST"])]
