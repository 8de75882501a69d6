"""THE table from error codes to HTTP statuses, and the one JSON error body.

Every HTTP error smsgate answers is `{"error": {"code", "message", "field"?}}`.
Codes come from `core.errors`; the few below that only HTTP has (payload_too_large,
unsupported_media_type, method_not_allowed, internal_error) are listed here and nowhere else.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from smsgate.core.errors import (
    InvalidRequest,
    NotFound,
    RateLimited,
    SmsgateError,
    Unauthenticated,
    Unavailable,
)

logger = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]


class PayloadTooLarge(SmsgateError):
    """The request body is larger than the configured limit (HTTP only)."""

    code = "payload_too_large"


class MethodNotAllowed(SmsgateError):
    code = "method_not_allowed"


class UnsupportedMediaType(SmsgateError):
    """The request body is not of a type the operation reads (HTTP only)."""

    code = "unsupported_media_type"


HTTP_STATUS: Final[Mapping[str, int]] = {
    "invalid_request": 400,
    "invalid_recipient": 400,
    "stop_listed": 400,
    "invalid_sender": 400,
    "empty_text": 400,
    "text_too_long": 400,
    "no_price": 400,
    # Routing is decided by configuration and destination, so retrying the same
    # request cannot help: it is the client's request that cannot be carried.
    "no_route": 400,
    "unauthenticated": 401,
    "insufficient_credit": 402,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "rate_limited": 429,
    "login_blocked": 429,
    "internal_error": 500,
    "unavailable": 503,
}

# Sent with every 401 so that clients (and browsers on /docs) know both schemes work.
WWW_AUTHENTICATE: Final = 'Bearer realm="smsgate", Basic realm="smsgate", charset="UTF-8"'


class ErrorDetail(msgspec.Struct, omit_defaults=True):
    code: str
    message: str
    field: str | None = None


class ErrorBody(msgspec.Struct):
    """The body of every error response."""

    error: ErrorDetail


_encode = msgspec.json.Encoder().encode


def status_for(error: SmsgateError) -> int:
    """The HTTP status of an error: its own code's, else its nearest listed ancestor's."""
    for cls in type(error).__mro__:
        status = HTTP_STATUS.get(getattr(cls, "code", ""))
        if status is not None:
            return status
    return 500


def error_response(error: SmsgateError) -> Response:
    status = status_for(error)
    if status == 500:
        # An error class without a table row: say nothing about it to the client.
        logger.error("unmapped error %s: %s", type(error).__name__, error.message)
        return internal_error_response()
    body = ErrorBody(ErrorDetail(error.code, error.message, error.field))
    headers = error_headers(error, status)
    return Response(_encode(body), status, headers, media_type="application/json")


def error_headers(error: SmsgateError, status: int) -> dict[str, str] | None:
    """WWW-Authenticate on a 401; Retry-After when waiting would help."""
    if status == 401:
        return {"WWW-Authenticate": WWW_AUTHENTICATE}
    return retry_after(error)


def retry_after(error: SmsgateError) -> dict[str, str] | None:
    """The Retry-After header (whole seconds, rounded up) of a rate limit, a blocked
    login or an unreachable store that says when the same request may be accepted."""
    if isinstance(error, RateLimited | Unavailable) and error.retry_after is not None:
        return {"Retry-After": str(max(1, math.ceil(error.retry_after)))}
    return None


def internal_error_response() -> Response:
    body = ErrorBody(ErrorDetail("internal_error", "internal error"))
    return Response(_encode(body), 500, media_type="application/json")


def error_reply(request: Request, exc: Exception) -> Response:
    """THE answer to an error anywhere on the HTTP path, in an endpoint or in the router:
    the error tree through the table, Starlette's own 404/405 in our body shape, and
    anything else logged and answered 500 without details."""
    if isinstance(exc, SmsgateError):
        return error_response(exc)
    if isinstance(exc, HTTPException):
        return _http_exception_response(request, exc)
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return internal_error_response()


ErrorReply = Callable[[Request, Exception], Response]


def guarded(endpoint: Endpoint, reply: ErrorReply = error_reply) -> Endpoint:
    """`endpoint` answering its own errors through `reply` (a dialect passes its own), so
    that an unexpected one gets a 500 body without being re-raised into the server."""

    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Exception as exc:
            return reply(request, exc)

    guarded.__name__ = endpoint.__name__
    return guarded


def _http_exception_response(request: Request, exc: HTTPException) -> Response:
    error: SmsgateError
    if exc.status_code == 404:
        error = NotFound(f"no such path: {request.url.path}")
    elif exc.status_code == 405:
        error = MethodNotAllowed(f"method {request.method} is not allowed here")
    elif exc.status_code == 401:
        error = Unauthenticated(str(exc.detail))
    else:
        error = InvalidRequest(str(exc.detail))
    response = error_response(error)
    if exc.headers:
        response.headers.update(exc.headers)
    return response
