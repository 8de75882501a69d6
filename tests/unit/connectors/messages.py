"""Messages as the dispatcher hands them to an upstream, for connector tests."""

from __future__ import annotations

from smsgate.core.messages import Message, Status
from smsgate.text import plan


def outgoing(
    text: str = "Hello",
    *,
    to: str = "+393331234567",
    sender: str = "smsgate",
    account_id: int = 1,
    udh: bytes | None = None,
    message_id: str = "m1",
) -> Message:
    planned = plan(text, max_parts=255)
    return Message(
        id=message_id,
        batch_id="b1",
        account_id=account_id,
        payer_id=account_id,
        to=to,
        sender=sender,
        text=text,
        encoding=planned.encoding.value,
        parts=planned.count,
        cost=0,
        currency="EUR",
        status=Status.SENDING,
        error=None,
        reference=None,
        callback_url=None,
        created_at=0.0,
        scheduled_at=None,
        expires_at=1e12,
        sent_at=None,
        done_at=None,
        udh=udh,
    )
