"""Messages and parts: statuses, the transition table, and how parts decide a message.

A message is final when every part is final. Status changes go through `advance`,
which refuses any move the table does not allow.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from smsgate.core.errors import Conflict


class Status(enum.StrEnum):
    QUEUED = "queued"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"
    REJECTED = "rejected"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL: frozenset[Status] = frozenset(
    {
        Status.DELIVERED,
        Status.UNDELIVERED,
        Status.EXPIRED,
        Status.REJECTED,
        Status.FAILED,
        Status.CANCELLED,
    }
)

# A receipt may arrive after the expiry job gave up on a message; it then wins.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SCHEDULED: frozenset({Status.QUEUED, Status.CANCELLED}),
    Status.QUEUED: frozenset({Status.SENDING, Status.REJECTED, Status.FAILED, Status.EXPIRED}),
    Status.SENDING: frozenset(
        {Status.QUEUED, Status.SENT, Status.REJECTED, Status.FAILED, Status.EXPIRED}
    ),
    Status.SENT: frozenset({Status.DELIVERED, Status.UNDELIVERED, Status.EXPIRED}),
    Status.EXPIRED: frozenset({Status.DELIVERED, Status.UNDELIVERED}),
    Status.DELIVERED: frozenset(),
    Status.UNDELIVERED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.FAILED: frozenset(),
    Status.CANCELLED: frozenset(),
}


def can_advance(current: Status, new: Status) -> bool:
    return new in TRANSITIONS[current]


def advance(current: Status, new: Status) -> Status:
    """Return `new` when the table allows current -> new, else raise Conflict."""
    if new not in TRANSITIONS[current]:
        raise Conflict(f"a {current} message cannot become {new}")
    return new


class PartStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"
    REJECTED = "rejected"


PART_FINAL: frozenset[PartStatus] = frozenset(
    {PartStatus.DELIVERED, PartStatus.UNDELIVERED, PartStatus.EXPIRED, PartStatus.REJECTED}
)

# Worst outcome first: one undelivered part makes the whole message undelivered.
_SEVERITY = (PartStatus.REJECTED, PartStatus.UNDELIVERED, PartStatus.EXPIRED)


def status_from_parts(parts: Iterable[PartStatus]) -> Status | None:
    """The final message status implied by its parts, or None while any is open."""
    seen = set(parts)
    if not seen or not seen <= PART_FINAL:
        return None
    for status in _SEVERITY:
        if status in seen:
            return Status(status.value)
    return Status.DELIVERED


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    batch_id: str
    account_id: int
    payer_id: int
    to: str
    sender: str
    text: str
    encoding: str
    parts: int
    cost: int
    currency: str
    status: Status
    error: str | None
    reference: str | None
    callback_url: str | None
    created_at: float
    scheduled_at: float | None
    expires_at: float
    sent_at: float | None
    done_at: float | None
    attempts: int = 0
    registered_delivery: bool = False
    tag: str | None = None
    udh: bytes | None = None
    concat: str = "udh8"
    reply_url: str | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL


@dataclass(frozen=True, slots=True)
class Part:
    message_id: str
    seq: int
    status: PartStatus
    upstream_id: str | None
    connector: str | None
    error: str | None
