"""Ports: the Protocols the use cases need from the outside, and the records they exchange:
`store` (the `Store` every backend implements), `upstream` (the `Upstream` every connector
type implements, `MoSink`, the HTTP callback records) and `clock` (clock, id source).
Contracts are in the docstrings, one conformance suite per port; import from here.
"""

from smsgate.services.ports.clock import Clock, IdSource
from smsgate.services.ports.store import (
    LOCAL_NODE,
    OUTBOX_LEASE,
    Accepted,
    AccountSearch,
    AccountToCreate,
    AppliedReceipts,
    MessageQuery,
    NewMessage,
    Notification,
    NotificationAttempt,
    ReceiptUpdate,
    Replanned,
    SendOutcome,
    SentPart,
    Store,
    Submission,
)
from smsgate.services.ports.upstream import (
    CallbackHandler,
    CallbackReply,
    CallbackRequest,
    MoSink,
    ReceiptSink,
    Upstream,
    UpstreamPart,
    UpstreamResult,
)

__all__ = [
    "LOCAL_NODE",
    "OUTBOX_LEASE",
    "Accepted",
    "AccountSearch",
    "AccountToCreate",
    "AppliedReceipts",
    "CallbackHandler",
    "CallbackReply",
    "CallbackRequest",
    "Clock",
    "IdSource",
    "MessageQuery",
    "MoSink",
    "NewMessage",
    "Notification",
    "NotificationAttempt",
    "ReceiptSink",
    "ReceiptUpdate",
    "Replanned",
    "SendOutcome",
    "SentPart",
    "Store",
    "Submission",
    "Upstream",
    "UpstreamPart",
    "UpstreamResult",
]
