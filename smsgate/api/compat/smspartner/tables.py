"""SMS Partner's words and numbers: THE table from smsgate errors to its codes, and statuses.

Codes differ per endpoint family (the send family, status reads, credit transfers ...),
so each family has its rows; a row matches an error code and, when given, the SMS
Partner parameter the error is about. Nothing else in the dialect picks a code.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

from smsgate.core.errors import Conflict, InsufficientCredit, InvalidRequest, SmsgateError
from smsgate.core.messages import Status


class MissingParameter(InvalidRequest):
    """A parameter SMS Partner requires is absent or empty (`field` names it)."""

    code = "missing_parameter"


class MalformedBody(InvalidRequest):
    code = "malformed_body"


class AlreadyCancelled(Conflict):
    code = "already_cancelled"


class AlreadySent(Conflict):
    code = "already_sent"


class TooLateToCancel(Conflict):
    code = "too_late_to_cancel"


class EmptyBalance(InsufficientCredit):
    """The account that would give credit has none at all (SMS Partner tells this apart)."""

    code = "empty_balance"


class Family(enum.Enum):
    SEND = "send"
    STATUS = "status"
    CANCEL = "cancel"
    CREDIT = "credit"
    SUBACCOUNT_CREATE = "subaccount_create"
    SUBACCOUNT_REMOVE = "subaccount_remove"
    STOP_ADD = "stop_add"
    STOP_DELETE = "stop_delete"
    LOOKUP = "lookup"
    ACCOUNT = "account"


OK: Final = 200
VALIDATION: Final = 9
INTERNAL: Final = 500

# (error code, parameter or None) -> SMS Partner code; rows with a parameter win.
Rule = tuple[str, str | None]

_COMMON: Final[Mapping[Rule, int]] = {
    ("missing_parameter", "apiKey"): 1,
    ("unauthenticated", None): 10,
    ("forbidden", "apiKey"): 20,
    ("forbidden", "source_ip"): 96,
    ("malformed_body", None): 90,
    ("payload_too_large", None): 90,
    ("login_blocked", None): 429,
    ("rate_limited", None): 429,
    ("internal_error", None): INTERNAL,
    ("unavailable", None): INTERNAL,
    ("invalid_request", None): VALIDATION,
    ("not_found", None): 4,
}

_BY_FAMILY: Final[Mapping[Family, Mapping[Rule, int]]] = {
    Family.SEND: {
        ("missing_parameter", "phoneNumbers"): 2,
        ("missing_parameter", "message"): 43,
        ("empty_text", None): 43,
        ("missing_parameter", "scheduledDeliveryDate"): 45,
        ("missing_parameter", "time"): 46,
        ("missing_parameter", "minute"): 47,
        ("invalid_request", "minute"): 48,
        ("invalid_request", "scheduledDeliveryDate"): 49,
        ("invalid_request", "time"): 49,
        ("invalid_request", "scheduled_at"): 49,
        ("invalid_request", "phoneNumbers"): 50,
        ("insufficient_credit", None): 11,
        ("no_price", None): 13,
        ("stop_listed", None): 14,
        ("forbidden", None): 20,
        ("invalid_sender", None): 44,
        ("text_too_long", None): 52,
        ("no_route", None): 13,
        ("invalid_request", None): VALIDATION,
    },
    Family.STATUS: {
        ("missing_parameter", "phoneNumber"): 2,
        ("missing_parameter", None): 3,
        ("invalid_request", "SMSStatus_List"): 3,
        ("not_found", None): 4,
        ("forbidden", None): 4,
        ("invalid_request", None): 4,
    },
    Family.CANCEL: {
        ("missing_parameter", "messageId"): 3,
        ("not_found", None): 4,
        ("forbidden", None): 4,
        ("already_cancelled", None): 5,
        ("too_late_to_cancel", None): 6,
        ("already_sent", None): 7,
        ("conflict", None): 7,
    },
    Family.CREDIT: {
        ("missing_parameter", "credit"): 2,
        ("missing_parameter", "tokenSubaccount"): 3,
        ("forbidden", None): 4,
        ("invalid_request", "credit"): 5,
        ("empty_balance", None): 6,
        ("not_found", None): 7,
        ("insufficient_credit", None): 8,
        ("invalid_request", None): 4,
    },
    Family.SUBACCOUNT_CREATE: {
        ("forbidden", None): 2,
        ("missing_parameter", "isBuyer"): 3,
        ("missing_parameter", "type"): 4,
        ("invalid_request", "type"): 5,
        ("missing_parameter", "email"): 6,
        ("invalid_request", "email"): 6,
        ("conflict", None): 7,
        ("invalid_request", "creditToAttribute"): 8,
        ("insufficient_credit", None): 9,
        ("invalid_request", None): 5,
    },
    Family.SUBACCOUNT_REMOVE: {
        ("missing_parameter", "token"): 1,
        ("not_found", None): 404,
        ("forbidden", None): 404,
    },
    Family.STOP_ADD: {
        ("missing_parameter", "phoneNumber"): 2,
        ("invalid_recipient", None): VALIDATION,
        ("invalid_request", None): 3,
    },
    Family.STOP_DELETE: {
        ("missing_parameter", "id"): 2,
        ("invalid_recipient", None): 3,
        ("not_found", None): 4,
        ("invalid_request", None): 3,
    },
    Family.LOOKUP: {
        ("missing_parameter", "phoneNumbers"): 2,
        ("invalid_request", "phoneNumbers"): 3,
    },
    Family.ACCOUNT: {},
}

# Codes answered with an HTTP status other than 200: SMS Partner's documented bodies
# all come with 200, and so do the seed clients' expectations (the VB.NET sample reads
# the body only on 200); only a body that is not JSON, a flood, or our own fault differ.
HTTP_STATUS: Final[Mapping[int, int]] = {90: 400, 429: 429, INTERNAL: 500}

# What SMS Partner itself says where every client meets it; other errors carry our text.
_MESSAGES: Final[Mapping[Rule, str]] = {
    ("missing_parameter", "apiKey"): "La clé API est requise",
    ("unauthenticated", None): "Clé API incorrecte",
    ("forbidden", "apiKey"): "Compte désactivé",
    ("insufficient_credit", None): "Crédit insuffisant",
    ("stop_listed", None): "Numéro dans la liste STOP",
    ("internal_error", None): "Erreur interne",
}

# Our parameter names -> SMS Partner's, for `elementId` in validation errors.
FIELD_NAMES: Final[Mapping[str, str]] = {
    "to": "phoneNumbers",
    "text": "message",
    "from": "sender",
    "scheduled_at": "scheduledDeliveryDate",
    "callback_url": "urlDlr",
    "reply_url": "urlResponse",
}

# Families whose code 9 is a list of constraint violations (`errors`), not one message.
VALIDATION_FAMILIES: Final = frozenset({"send", "stop_add"})

STATUS_WORDS: Final[Mapping[Status, str]] = {
    Status.QUEUED: "Waiting",
    Status.SCHEDULED: "Waiting",
    Status.SENDING: "Waiting",
    Status.SENT: "Waiting",
    Status.DELIVERED: "Delivered",
    Status.UNDELIVERED: "Not delivered",
    Status.EXPIRED: "Not delivered",
    Status.REJECTED: "Not delivered",
    Status.FAILED: "Not delivered",
    Status.CANCELLED: "Not delivered",
}

NOT_FOUND_STATUS: Final = "Numéro introuvable"
CANCELLED_MESSAGE: Final = "L'envoi du SMS a été annulé."


def message_for(error: SmsgateError) -> str:
    """SMS Partner's own wording for the common errors; our message for the others."""
    for cls in type(error).__mro__:
        if cls is SmsgateError and type(error) is not SmsgateError:
            break
        code: str | None = getattr(cls, "code", None)
        if code is None:
            continue
        for rule in ((code, error.field), (code, None)):
            found = _MESSAGES.get(rule)
            if found is not None:
                return found
    return error.message


def sp_code(error: SmsgateError, family: Family) -> int:
    """The SMS Partner code for `error` on an endpoint of `family`."""
    rows = _BY_FAMILY[family]
    for cls in type(error).__mro__:
        code = getattr(cls, "code", None)
        if code is None:
            continue
        for rule in ((code, error.field), (code, None)):
            for table in (rows, _COMMON):
                found = table.get(rule)
                if found is not None:
                    return found
    return INTERNAL
