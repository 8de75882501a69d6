"""Agile Telecom's error codes: THE table from the error tree to (Agile code, HTTP status)."""

from __future__ import annotations

from typing import Final

from smsgate.core.errors import SmsgateError

INTERNAL_ERROR: Final = (8, 500)

ERROR_TABLE: Final[tuple[tuple[str, str | None, int, int], ...]] = (
    # (error code of the tree, field or None for any, Agile code, HTTP status);
    # the first row that matches wins.
    ("unauthenticated", None, 1, 401),
    ("forbidden", "source_ip", 100, 403),
    ("forbidden", None, 1, 403),
    ("insufficient_credit", None, 2, 402),
    ("invalid_recipient", None, 4, 400),
    ("stop_listed", None, 4, 400),
    ("no_price", None, 4, 400),
    ("empty_text", None, 6, 400),
    ("text_too_long", None, 7, 400),
    ("invalid_sender", None, 18, 400),
    ("invalid_request", "messages", 14, 400),
    ("invalid_request", "destinations", 13, 400),
    ("invalid_request", "to", 13, 400),
    ("invalid_request", "ids", 15, 400),
    ("invalid_request", "sender", 10, 400),
    ("invalid_request", "body", 6, 400),
    ("invalid_request", "text", 7, 400),
    ("invalid_request", "globalId", 20, 400),
    ("invalid_request", "maxIdLen", 21, 400),
    ("invalid_request", "udhData", 22, 400),
    ("invalid_request", "scheduling", 23, 400),
    ("invalid_request", "scheduled_at", 23, 400),
    ("invalid_request", "hexBody", 24, 400),
    ("invalid_request", None, 14, 400),
    ("payload_too_large", None, 14, 413),
    # No Agile code says "try later": a blocked login is a server-side refusal (8) with
    # the HTTP status and Retry-After of a rate limit.
    ("login_blocked", None, 8, 429),
    ("rate_limited", None, 8, 429),
    ("no_route", None, 8, 400),
)


def wire_error(exc: SmsgateError) -> tuple[int, int]:
    """(Agile code, HTTP status) of an error; unknown errors are a server error (8)."""
    for code, field, agile, status in ERROR_TABLE:
        if exc.code == code and (field is None or field == exc.field):
            return agile, status
    return INTERNAL_ERROR
