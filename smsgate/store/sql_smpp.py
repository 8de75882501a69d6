"""The smpp_outbox queue of SMPP customers in SQL; `SqlSmpp` is SqlStore's part for it.

`add_smpp_receipts` runs inside the transaction that makes messages final, so a receipt
row exists exactly when the final status was committed. The delivery worker claims the
rows it hands over (sql_claims), so each goes out from one node.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.engine import Connection, Row

from smsgate.services.smpp_customers import InboundSms, SmppOutboxItem
from smsgate.store.records import message_from_row, record_from_row
from smsgate.store.schema import messages
from smsgate.store.schema_inbound import inbound, smpp_outbox
from smsgate.store.sql_base import SqlPart
from smsgate.store.sql_claims import UNCLAIMED, claim_rows, claimable, release_claims
from smsgate.store.sql_rows import insert_rows

PENDING = "pending"
DELIVERED = "delivered"
RECEIPT = "receipt"
MO = "mo"


def add_smpp_receipts(conn: Connection, asked: Iterable[tuple[str, int]], now: float) -> None:
    """Queue a receipt for each (message id, account id) of a just-finished message
    whose customer asked for one (`registered_delivery`)."""
    queued = [(account_id, message_id, None) for message_id, account_id in sorted(set(asked))]
    _queue(conn, RECEIPT, queued, now)


def add_smpp_mo(conn: Connection, targets: Sequence[tuple[int, int]], now: float) -> None:
    """Queue each (account id, inbound id) for the account's SMPP receiver binds."""
    _queue(conn, MO, [(account_id, None, inbound_id) for account_id, inbound_id in targets], now)


def _queue(
    conn: Connection, kind: str, items: Iterable[tuple[int, str | None, int | None]], now: float
) -> None:
    """Queue (account id, message id, inbound id) rows of one kind, pending."""
    rows = [
        {
            "account_id": account_id,
            "kind": kind,
            "message_id": message_id,
            "inbound_id": inbound_id,
            "state": PENDING,
            "attempts": 0,
            "created_at": now,
        }
        for account_id, message_id, inbound_id in items
    ]
    insert_rows(conn, smpp_outbox, rows)


def waiting_accounts(conn: Connection) -> list[int]:
    """Accounts with a pending row that no live claim holds."""
    result = conn.execute(
        select(smpp_outbox.c.account_id)
        .where(smpp_outbox.c.state == PENDING, claimable(conn, smpp_outbox, None))
        .distinct()
    )
    return sorted(int(row.account_id) for row in result)


def _head(account_id: int, limit: int) -> Select[Any]:
    return (
        select(smpp_outbox.c.id)
        .where(smpp_outbox.c.account_id == account_id, smpp_outbox.c.state == PENDING)
        .order_by(smpp_outbox.c.id)
        .limit(limit)
    )


def pending(conn: Connection, account_id: int, limit: int) -> list[SmppOutboxItem]:
    head = _head(account_id, limit)
    return items(conn, conn.execute(select(smpp_outbox).where(smpp_outbox.c.id.in_(head))).all())


def claim(
    conn: Connection, account_id: int, limit: int, node: str, lease: float
) -> Sequence[Row[Any]]:
    """Claim the account's oldest pending rows that nobody holds (`items` makes them
    items after the commit)."""
    pick = _head(account_id, limit).where(claimable(conn, smpp_outbox, node))
    return claim_rows(conn, smpp_outbox, pick, node, lease)


def items(conn: Connection, rows: Sequence[Row[Any]]) -> list[SmppOutboxItem]:
    """The rows, oldest first, with their messages and MO."""
    rows = sorted(rows, key=lambda r: int(r.id))
    message_ids = [str(r.message_id) for r in rows if r.message_id is not None]
    inbound_ids = [int(r.inbound_id) for r in rows if r.inbound_id is not None]
    found = {}
    if message_ids:
        query = select(messages).where(messages.c.id.in_(message_ids))
        found = {str(r.id): message_from_row(r._mapping) for r in conn.execute(query)}
    mo = {}
    if inbound_ids:
        query = select(inbound).where(inbound.c.id.in_(inbound_ids))
        mo = {int(r.id): record_from_row(InboundSms, r._mapping) for r in conn.execute(query)}
    return [
        SmppOutboxItem(
            id=int(r.id),
            account_id=int(r.account_id),
            kind=str(r.kind),
            message=found.get(str(r.message_id)) if r.message_id is not None else None,
            inbound=mo.get(int(r.inbound_id)) if r.inbound_id is not None else None,
            attempts=int(r.attempts),
        )
        for r in rows
    ]


def handed_over(
    conn: Connection, delivered: Sequence[int], attempted: Sequence[int], now: float
) -> None:
    if delivered:
        conn.execute(
            update(smpp_outbox)
            .where(smpp_outbox.c.id.in_(list(delivered)), smpp_outbox.c.state == PENDING)
            .values(
                state=DELIVERED,
                delivered_at=now,
                attempts=smpp_outbox.c.attempts + 1,
                **UNCLAIMED,
            )
        )
    if attempted:
        conn.execute(
            update(smpp_outbox)
            .where(smpp_outbox.c.id.in_(list(attempted)))
            .values(attempts=smpp_outbox.c.attempts + 1, **UNCLAIMED)
        )


class SqlSmpp(SqlPart):
    async def smpp_waiting_accounts(self) -> list[int]:
        return await self.connections.read(waiting_accounts)

    async def smpp_pending(self, account_id: int, limit: int) -> list[SmppOutboxItem]:
        return await self.connections.read(pending, account_id, limit)

    async def smpp_claim(
        self, account_id: int, limit: int, node: str, lease: float
    ) -> list[SmppOutboxItem]:
        claimed = await self.connections.write(claim, account_id, limit, node, lease)
        return await self.connections.read(items, claimed) if claimed else []

    async def smpp_release(self, node: str) -> int:
        return await self.connections.write(release_claims, smpp_outbox, node)

    async def smpp_handed_over(
        self, delivered: Sequence[int], attempted: Sequence[int], now: float
    ) -> None:
        await self.connections.write(handed_over, delivered, attempted, now)
