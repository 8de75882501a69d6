"""Finishing messages in SQL: their rows locked in id order, then who must hear of it.

Recording sends and applying receipts both lock the messages they may finish, and in
the same transaction queue a webhook for each finished message with a callback URL
and an SMPP receipt for each whose customer asked for one (`registered_delivery`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.engine import Connection

from smsgate.store.schema import messages
from smsgate.store.sql_outbox import add_notifications
from smsgate.store.sql_rows import ListQuery
from smsgate.store.sql_smpp import add_smpp_receipts


class Finishing(NamedTuple):
    """What finishing a message needs of its row, read under the row's lock."""

    status: str
    payer_id: int
    account_id: int
    callback_url: str | None
    registered_delivery: bool
    cost: int


_LOCK = ListQuery(
    lambda ids: (
        select(
            messages.c.id,
            messages.c.status,
            messages.c.payer_id,
            messages.c.account_id,
            messages.c.callback_url,
            messages.c.registered_delivery,
            messages.c.cost,
        )
        .where(messages.c.id.in_(ids))
        .order_by(messages.c.id)
        # NO KEY UPDATE: parts and outbox rows that reference these messages may
        # still be inserted by others meanwhile.
        .with_for_update(key_share=True)
    )
)


def lock_messages(conn: Connection, message_ids: Iterable[str]) -> dict[str, Finishing]:
    """The rows of these messages (those that exist), locked in id order."""
    rows = _LOCK.rows(conn, sorted(set(message_ids)))
    return {str(row[0]): Finishing(*row[1:]) for row in rows}


def announce(conn: Connection, finished: Sequence[tuple[str, Finishing]], now: float) -> None:
    """Queue the webhook and the SMPP receipt each of these just-finished messages asked for."""
    add_notifications(conn, [(message_id, m.callback_url) for message_id, m in finished], now)
    asked = [(message_id, int(m.account_id)) for message_id, m in finished if m.registered_delivery]
    add_smpp_receipts(conn, asked, now)
