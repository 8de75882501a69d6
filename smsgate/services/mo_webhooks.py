"""The MO webhook outbox as the sender sees it: rows of `inbound_outbox` due for a POST,
each with its MO, taken in order per (account, source, url), and the port that reads and
updates them; attempts are recorded as receipts' are (`NotificationAttempt`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from smsgate.services.inbound import StoredInbound
from smsgate.services.ports import NotificationAttempt


@dataclass(frozen=True, slots=True)
class MoDelivery:
    """One MO to POST to `url` in `shape` (services.inbound_plan SHAPES, or SMSPARTNER_REPLY);
    `reply_id` is the SMS Partner message_id of the send an SMSPARTNER_REPLY answers."""

    id: int
    url: str
    shape: str
    attempts: int
    next_at: float
    mo: StoredInbound
    reply_id: str | None = None


def reply_forms(mo: StoredInbound) -> tuple[list[str], list[str]]:
    """The ways the send an MO replies to may have written its recipient (the MO's source)
    and its sender (the MO's destination): with and without '+'."""
    return _forms(mo.source), _forms(mo.destination)


def _forms(number: str) -> list[str]:
    digits = number.removeprefix("+")
    return [digits, "+" + digits] if digits.isdigit() else [number]


@runtime_checkable
class MoOutboxStore(Protocol):
    async def due_mo_webhooks(self, now: float, limit: int) -> list[MoDelivery]:
        """Pending MO webhooks due by `now`, oldest first, at most `limit`: of each
        (account, source, url) only its oldest pending row, so one sender's MO reach a
        receiver in the order they came, one at a time, while other keys go on."""
        ...

    async def claim_mo_webhooks(
        self, now: float, limit: int, node: str, lease: float
    ) -> list[MoDelivery]:
        """The rows `due_mo_webhooks` gives that `node` may claim, claimed by it for
        `lease` seconds (as Store.claim_notifications claims)."""
        ...

    async def release_mo_webhooks(self, node: str) -> int:
        """End the claims `node` holds."""
        ...

    async def record_mo_webhooks(self, attempts: Sequence[NotificationAttempt], now: float) -> None:
        """Record attempts in one transaction, each ending its row's claim; not delivered
        with `next_at` None means give up (the key's next row becomes due). Attempts at
        rows that do not exist are ignored."""
        ...
