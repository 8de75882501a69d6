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

# Vendor-specific range (0x400-0x4FF): the prepaid balance does not cover the message.
ESME_RINSUFFICIENT_CREDIT: Final = 0x00000401

SUBMIT_STATUS: Final[Mapping[str, int]] = {
    "invalid_request": CommandStatus.ESME_RSUBMITFAIL,
    "invalid_recipient": CommandStatus.ESME_RINVDSTADR,
    "stop_listed": CommandStatus.ESME_RINVDSTADR,
    "invalid_sender": CommandStatus.ESME_RINVSRCADR,
    "empty_text": CommandStatus.ESME_RINVMSGLEN,
    "text_too_long": CommandStatus.ESME_RINVMSGLEN,
    # no price covers the destination: for the customer, a destination we do not serve
    "no_price": CommandStatus.ESME_RINVDSTADR,
    "no_route": CommandStatus.ESME_RINVDSTADR,
    "insufficient_credit": ESME_RINSUFFICIENT_CREDIT,
    "rate_limited": CommandStatus.ESME_RTHROTTLED,
    "forbidden": CommandStatus.ESME_RSUBMITFAIL,
    "unauthenticated": CommandStatus.ESME_RINVBNDSTS,
    "not_found": CommandStatus.ESME_RSUBMITFAIL,
    "conflict": CommandStatus.ESME_RSUBMITFAIL,
    "internal_error": CommandStatus.ESME_RSYSERR,
    "unavailable": CommandStatus.ESME_RSYSERR,  # a system error: the client tries again
}

# invalid_request names the offending field; these fields have a status of their own.
FIELD_STATUS: Final[Mapping[str, int]] = {
    "scheduled_at": CommandStatus.ESME_RINVSCHED,
    "validity": CommandStatus.ESME_RINVEXPIRY,
    "esm_class": CommandStatus.ESME_RINVESMCLASS,
    "sar": CommandStatus.ESME_RINVOPTPARAMVAL,
    "to": CommandStatus.ESME_RINVDSTADR,
    "text": CommandStatus.ESME_RINVMSGLEN,
    # text that is no text (a lone UTF-16 surrogate) or that no store holds (U+0000):
    # SMPP 3.4 has no status for a bad character, so the submit fails as a whole.
    "short_message": CommandStatus.ESME_RSUBMITFAIL,
    "message_payload": CommandStatus.ESME_RSUBMITFAIL,
}

# An unknown system_id gets the answer of a wrong password: nothing tells which exist.
BIND_STATUS: Final[Mapping[tuple[str, str | None], int]] = {
    ("unauthenticated", None): CommandStatus.ESME_RINVPASWD,
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
        return FIELD_STATUS.get(error.field, CommandStatus.ESME_RSUBMITFAIL)
    return SUBMIT_STATUS.get(error.code, CommandStatus.ESME_RSYSERR)


def bind_status(error: SmsgateError) -> int:
    """command_status of a refused bind: wrong credentials are named, the rest (a blocked
    address or name included) is RBINDFAIL."""
    return BIND_STATUS.get((error.code, error.field), CommandStatus.ESME_RBINDFAIL)
