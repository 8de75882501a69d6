"""Agile Telecom's error codes: THE table from the error tree to (Agile code, HTTP status)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from smsgate.core.errors import SmsgateError

INTERNAL_ERROR: Final = (8, 500)

# (Agile code, HTTP status) by error code of the tree; an invalid request's Agile code
# depends on its field (below), and a forbidden source address has its own (100).
ERROR_TABLE: Final[Mapping[str, tuple[int, int]]] = {
    "unauthenticated": (1, 401),
    "forbidden": (1, 403),
    "insufficient_credit": (2, 402),
    "invalid_recipient": (4, 400),
    "stop_listed": (4, 400),
    "no_price": (4, 400),
    "empty_text": (6, 400),
    "text_too_long": (7, 400),
    "invalid_sender": (18, 400),
    "invalid_request": (14, 400),
    "payload_too_large": (14, 413),
    # No Agile code says "try later": a blocked login is a server-side refusal (8) with
    # the HTTP status and Retry-After of a rate limit.
    "login_blocked": (8, 429),
    "rate_limited": (8, 429),
    "no_route": (8, 400),
    # the store cannot be reached: a server error, with a 5XX that says "try again"
    "unavailable": (8, 503),
}
SOURCE_IP: Final = (100, 403)
# The Agile code of an invalid request (HTTP 400) by the field at fault.
INVALID_FIELD: Final[Mapping[str, int]] = {
    "messages": 14,
    "destinations": 13,
    "to": 13,
    "ids": 15,
    "sender": 10,
    "body": 6,
    "text": 7,
    "globalId": 20,
    "maxIdLen": 21,
    "udhData": 22,
    "scheduling": 23,
    "scheduled_at": 23,
    "hexBody": 24,
}


def wire_error(exc: SmsgateError) -> tuple[int, int]:
    """(Agile code, HTTP status) of an error; unknown errors are a server error (8)."""
    if exc.code == "forbidden" and exc.field == "source_ip":
        return SOURCE_IP
    if exc.code == "invalid_request" and exc.field in INVALID_FIELD:
        return INVALID_FIELD[str(exc.field)], 400
    return ERROR_TABLE.get(exc.code, INTERNAL_ERROR)
