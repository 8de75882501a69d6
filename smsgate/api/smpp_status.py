"""THE table from error codes to SMPP command_status, and from message status to message_state.

Bind requests have their own column (a refused bind is ESME_RBINDFAIL unless the
credentials are wrong); every other request uses SUBMIT_STATUS. docs/smpp.md lists both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from smsgate.core.errors import SmsgateError
from smsgate.core.messages import Status
from smsgate.smpp import CommandStatus, MessageState

S = CommandStatus

# Vendor-specific range (0x400-0x4FF): the prepaid balance does not cover the message.
ESME_RINSUFFICIENT_CREDIT: Final = 0x00000401

SUBMIT_STATUS: Final[Mapping[str, int]] = {
    "invalid_request": S.ESME_RSUBMITFAIL,
    "invalid_recipient": S.ESME_RINVDSTADR,
    "invalid_sender": S.ESME_RINVSRCADR,
    "empty_text": S.ESME_RINVMSGLEN,
    "text_too_long": S.ESME_RINVMSGLEN,
    # no price covers the destination: for the customer, a destination we do not serve
    "no_price": S.ESME_RINVDSTADR,
    "no_route": S.ESME_RINVDSTADR,
    "insufficient_credit": ESME_RINSUFFICIENT_CREDIT,
    "rate_limited": S.ESME_RTHROTTLED,
    "forbidden": S.ESME_RSUBMITFAIL,
    "unauthenticated": S.ESME_RINVBNDSTS,
    "not_found": S.ESME_RSUBMITFAIL,
    "conflict": S.ESME_RSUBMITFAIL,
    "internal_error": S.ESME_RSYSERR,
}

# invalid_request names the offending field; these fields have a status of their own.
FIELD_STATUS: Final[Mapping[str, int]] = {
    "scheduled_at": S.ESME_RINVSCHED,
    "validity": S.ESME_RINVEXPIRY,
    "esm_class": S.ESME_RINVESMCLASS,
    "sar": S.ESME_RINVOPTPARAMVAL,
    "to": S.ESME_RINVDSTADR,
    "text": S.ESME_RINVMSGLEN,
    # text that is no text (a lone UTF-16 surrogate) or that no store holds (U+0000):
    # SMPP 3.4 has no status for a bad character, so the submit fails as a whole.
    "short_message": S.ESME_RSUBMITFAIL,
    "message_payload": S.ESME_RSUBMITFAIL,
}

# An unknown system_id gets the answer of a wrong password: nothing tells which exist.
BIND_STATUS: Final[Mapping[tuple[str, str | None], int]] = {
    ("unauthenticated", None): S.ESME_RINVPASWD,
}

MESSAGE_STATE: Final[Mapping[Status, MessageState]] = {
    Status.QUEUED: MessageState.ENROUTE,
    Status.SCHEDULED: MessageState.SCHEDULED,
    Status.SENDING: MessageState.ENROUTE,
    Status.SENT: MessageState.ENROUTE,
    Status.DELIVERED: MessageState.DELIVERED,
    Status.UNDELIVERED: MessageState.UNDELIVERABLE,
    Status.EXPIRED: MessageState.EXPIRED,
    Status.REJECTED: MessageState.REJECTED,
    Status.FAILED: MessageState.UNDELIVERABLE,
    Status.CANCELLED: MessageState.DELETED,
}


def submit_status(error: SmsgateError) -> int:
    """command_status of a refused submit_sm, data_sm or submit_multi."""
    if error.code == "invalid_request" and error.field is not None:
        return FIELD_STATUS.get(error.field, S.ESME_RSUBMITFAIL)
    return SUBMIT_STATUS.get(error.code, S.ESME_RSYSERR)


def bind_status(error: SmsgateError) -> int:
    """command_status of a refused bind: wrong credentials are named, the rest (a blocked
    address or name included) is RBINDFAIL."""
    return BIND_STATUS.get((error.code, error.field), S.ESME_RBINDFAIL)
