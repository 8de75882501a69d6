"""SMSC (smsc.ru) wire tables: message status codes, error numbers and request limits.

Status codes are SMSC's documented -3..25; error numbers follow the seed page and what
SMSC client code relies on. `LoginGuard` enforces the limits behind error 9 per process;
error 4 is the lockout of failed logins (services.lockout), shared by every surface.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from typing import Final

from smsgate.core.errors import InvalidRequest, NotFound, RateLimited, SmsgateError
from smsgate.core.messages import Status

NOT_FOUND = -3

STATUS_CODE: Final[Mapping[Status, int]] = {
    Status.SCHEDULED: -1,
    Status.QUEUED: -1,
    Status.SENDING: -1,
    Status.SENT: 0,
    Status.DELIVERED: 1,
    Status.EXPIRED: 3,
    Status.UNDELIVERED: 20,
    Status.FAILED: 20,
    Status.REJECTED: 23,
    Status.CANCELLED: -2,
}

STATUS_NAME: Final[Mapping[int, str]] = {
    NOT_FOUND: "Message not found",
    -2: "Stopped",
    -1: "Waiting to be sent",
    0: "Transferred to the operator",
    1: "Delivered",
    2: "Read",
    3: "Expired",
    4: "Link clicked",
    20: "Impossible to deliver",
    22: "Invalid number",
    23: "Prohibited",
    24: "Insufficient funds",
    25: "Unavailable number",
}

# The `err` field of a status: why a final message did not arrive (SMPP error list).
STATUS_ERROR: Final[Mapping[Status, int]] = {
    Status.UNDELIVERED: 1,
    Status.FAILED: 255,
    Status.REJECTED: 255,
}

# get.php?get_answers: at most this many answers, of at most this many last hours.
MAX_ANSWERS = 10_000
DEFAULT_ANSWERS = 1000
MAX_ANSWER_HOURS = 168
DEFAULT_ANSWER_HOURS = 24

PARAMETERS = 1
CREDENTIALS = 2
NO_RECORDS = 3
IP_BLOCKED = 4
OPERATION = 5
NO_SUBCLIENT = 6
SHARED_BALANCE = 7
TOO_MANY = 9
NO_FUNDS = 10

DESCRIPTION: Final[Mapping[int, str]] = {
    PARAMETERS: "parameters error",
    CREDENTIALS: "authorise error",
    NO_RECORDS: "no records",
    IP_BLOCKED: "IP is blocked",
    OPERATION: "operation error",
    NO_SUBCLIENT: "subclient not found",
    SHARED_BALANCE: "sublogin shares the main balance",
    8: "save error",
    TOO_MANY: "too many requests",
    NO_FUNDS: "insufficient funds",
}

# Error codes of core.errors -> SMSC error number, for every endpoint but send.php.
ERROR_NUMBER: Final[Mapping[str, int]] = {
    "invalid_request": PARAMETERS,
    "invalid_recipient": PARAMETERS,
    "invalid_sender": PARAMETERS,
    "empty_text": PARAMETERS,
    "text_too_long": PARAMETERS,
    "no_price": PARAMETERS,
    "no_route": PARAMETERS,
    "unauthenticated": CREDENTIALS,
    "forbidden": CREDENTIALS,
    "not_found": NO_RECORDS,
    "conflict": OPERATION,
    "unavailable": OPERATION,
    "rate_limited": TOO_MANY,
    "login_blocked": IP_BLOCKED,
    "insufficient_credit": NO_FUNDS,
    "shared_balance": SHARED_BALANCE,
    "no_subclient": NO_SUBCLIENT,
}

# send.php numbers its errors its own way: 3 no money, 6 message denied, 7 bad number,
# 8 cannot be delivered.
SEND_ERROR_NUMBER: Final[Mapping[str, int]] = {
    **ERROR_NUMBER,
    "insufficient_credit": 3,
    "invalid_sender": 6,
    "stop_listed": 6,
    "invalid_recipient": 7,
    "no_route": 8,
    "no_price": 8,
    "wrong_date": 5,
}

SEND_DESCRIPTION: Final[Mapping[int, str]] = {
    **DESCRIPTION,
    3: "no money",
    5: "wrong date format",
    6: "message is denied",
    7: "invalid phone number",
    8: "can't deliver message",
}


def error_number(error: SmsgateError, *, send: bool = False) -> int:
    """The SMSC number of an error: its own code's, else its nearest ancestor's."""
    table = SEND_ERROR_NUMBER if send else ERROR_NUMBER
    for cls in type(error).__mro__:
        number = table.get(getattr(cls, "code", ""))
        if number is not None:
            return number
    return OPERATION


def description(number: int, *, send: bool = False) -> str:
    return (SEND_DESCRIPTION if send else DESCRIPTION).get(number, "error")


class WrongDate(InvalidRequest):
    """send.php's `time` in a form it does not take (SMSC error 5 there)."""

    code = "wrong_date"


class SharedBalance(InvalidRequest):
    """users.php: a money operation on a sub-client that shares the main balance."""

    code = "shared_balance"


class NoSubclient(NotFound):
    code = "no_subclient"


class LoginGuard:
    """Refuses a login's request while `concurrent - 1` of its requests are in flight;
    allows `changes` changes of one sub-client per `window`."""

    def __init__(
        self,
        *,
        window: float = 60.0,
        concurrent: int = 15,
        changes: int = 3,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.concurrent, self.changes = concurrent, changes
        self._now = now
        self.active: dict[str, int] = defaultdict(int)
        self._changed: dict[tuple[int, str], deque[float]] = defaultdict(deque)

    def enter(self, login: str) -> None:
        if self.active[login] >= self.concurrent - 1:
            raise RateLimited(f"{self.concurrent} or more concurrent requests")
        self.active[login] += 1

    def leave(self, login: str) -> None:
        self.active[login] -= 1
        if self.active[login] <= 0:
            del self.active[login]

    def change(self, parent_id: int, sub_login: str) -> None:
        now = self._now()
        times = self._recent(self._changed[(parent_id, sub_login)], now)
        if len(times) >= self.changes:
            raise RateLimited(f"more than {self.changes} changes of a sub-client a minute")
        times.append(now)

    def _recent(self, times: deque[float], now: float) -> deque[float]:
        while times and times[0] <= now - self.window:
            times.popleft()
        return times
