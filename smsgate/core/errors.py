"""The one error tree of smsgate, with stable codes; each protocol maps them to its wire
codes in exactly one table.
"""

from __future__ import annotations

from typing import ClassVar

# SmsgateError
#  ├── InvalidRequest        invalid_request       malformed or inconsistent input
#  │    ├── InvalidRecipient invalid_recipient
#  │    │    └── StopListed stop_listed        the recipient is on the account's STOP list
#  │    ├── InvalidSender    invalid_sender
#  │    ├── EmptyText        empty_text
#  │    ├── TextTooLong      text_too_long
#  │    └── NoPrice          no_price              no price list entry covers the destination
#  ├── Unauthenticated       unauthenticated
#  ├── InsufficientCredit    insufficient_credit
#  ├── Forbidden             forbidden             suspended account, another account's object
#  ├── NotFound              not_found
#  ├── Conflict              conflict              the object is not in a state that allows it
#  ├── RateLimited           rate_limited
#  │    └── LoginBlocked     login_blocked         too many failed logins from the address or name
#  ├── NoRoute               no_route              no upstream can carry the message
#  └── Unavailable           unavailable           the store cannot be reached: try again


class SmsgateError(Exception):
    """Base of every error smsgate reports to a client."""

    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidRequest(SmsgateError):
    code = "invalid_request"


class InvalidRecipient(InvalidRequest):
    code = "invalid_recipient"


class StopListed(InvalidRecipient):
    code = "stop_listed"


class InvalidSender(InvalidRequest):
    code = "invalid_sender"


class EmptyText(InvalidRequest):
    code = "empty_text"


class TextTooLong(InvalidRequest):
    code = "text_too_long"


class NoPrice(InvalidRequest):
    code = "no_price"


class Unauthenticated(SmsgateError):
    code = "unauthenticated"


class InsufficientCredit(SmsgateError):
    code = "insufficient_credit"


class Forbidden(SmsgateError):
    code = "forbidden"


class NotFound(SmsgateError):
    code = "not_found"


class Conflict(SmsgateError):
    code = "conflict"


class RateLimited(SmsgateError):
    """`retry_after`: seconds until the same request would be accepted, when it can be."""

    code = "rate_limited"

    def __init__(
        self, message: str, *, field: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class LoginBlocked(RateLimited):
    """Too many failed logins from this address or for this name: refused unchecked."""

    code = "login_blocked"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, retry_after=retry_after)


class NoRoute(SmsgateError):
    code = "no_route"


class Unavailable(SmsgateError):
    """The store cannot be reached (the database restarts, refuses connections, or keeps
    losing them): nothing was done, and the same request may succeed in `retry_after`
    seconds."""

    code = "unavailable"

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


ALL_ERRORS: tuple[type[SmsgateError], ...] = (
    SmsgateError,
    InvalidRequest,
    InvalidRecipient,
    StopListed,
    InvalidSender,
    EmptyText,
    TextTooLong,
    NoPrice,
    Unauthenticated,
    InsufficientCredit,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    LoginBlocked,
    NoRoute,
    Unavailable,
)
