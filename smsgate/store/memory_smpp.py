"""The SMPP customer half of MemoryStore: the smpp_outbox queue and inbound MO.

Same semantics as store/sql_smpp.py; `queue_smpp_receipt` is called wherever a message
becomes final, like add_smpp_receipts in SQL.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smsgate.core.messages import Message
from smsgate.services.smpp_customers import InboundSms, SmppOutboxItem

if TYPE_CHECKING:  # memory_dispatch imports this module
    from smsgate.store.memory_dispatch import Queued


@dataclass(slots=True)
class _Row:
    account_id: int
    kind: str
    message_id: str | None
    inbound_id: int | None
    state: str = "pending"
    attempts: int = 0
    delivered_at: float | None = None


@dataclass(slots=True)
class SmppRows:
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    outbox: dict[int, _Row] = field(default_factory=dict)
    inbound: dict[int, InboundSms] = field(default_factory=dict)


def queue_smpp_receipt(rows: SmppRows, message: Message) -> None:
    if message.registered_delivery:
        rows.outbox[next(rows.ids)] = _Row(message.account_id, "receipt", message.id, None)


class MemorySmpp:
    _smpp: SmppRows
    _messages: dict[str, Queued]

    async def smpp_waiting_accounts(self) -> list[int]:
        return sorted({r.account_id for r in self._smpp.outbox.values() if r.state == "pending"})

    async def smpp_pending(self, account_id: int, limit: int) -> list[SmppOutboxItem]:
        found: list[SmppOutboxItem] = []
        for row_id, row in sorted(self._smpp.outbox.items()):
            if len(found) >= limit:
                break
            if row.account_id != account_id or row.state != "pending":
                continue
            queued = None if row.message_id is None else self._messages.get(row.message_id)
            message = None if queued is None else queued.message
            mo = None if row.inbound_id is None else self._smpp.inbound.get(row.inbound_id)
            found.append(SmppOutboxItem(row_id, account_id, row.kind, message, mo, row.attempts))
        return found

    async def smpp_handed_over(
        self, delivered: Sequence[int], attempted: Sequence[int], now: float
    ) -> None:
        for row_id in delivered:
            row = self._smpp.outbox.get(row_id)
            if row is not None and row.state == "pending":
                row.state, row.delivered_at = "delivered", now
                row.attempts += 1
        for row_id in attempted:
            if row_id in self._smpp.outbox:
                self._smpp.outbox[row_id].attempts += 1

    async def add_smpp_inbound(
        self,
        *,
        account_id: int,
        connector: str,
        source: str,
        destination: str,
        text: str,
        encoding: str,
        parts: int,
        now: float,
    ) -> int:
        inbound_id = next(self._smpp.ids)
        self._smpp.inbound[inbound_id] = InboundSms(
            inbound_id, source, destination, text, encoding, now
        )
        self._smpp.outbox[next(self._smpp.ids)] = _Row(account_id, "mo", None, inbound_id)
        return inbound_id
