"""The MO webhook outbox in SQL: `inbound_outbox` rows (written with their MO by
sql_inbound_effects) read in order per (account, source, url), claimed (sql_claims) and
updated by the sender. `SqlMoOutbox` is SqlStore's part for them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Float, and_, bindparam, func, select
from sqlalchemy.engine import Connection

from smsgate.services.inbound import StoredInbound
from smsgate.services.inbound_plan import SMSPARTNER_REPLY
from smsgate.services.mo_webhooks import MoDelivery, reply_forms
from smsgate.services.ports import NotificationAttempt
from smsgate.store.records import record_from_row
from smsgate.store.schema import messages
from smsgate.store.schema_inbound import inbound, inbound_outbox
from smsgate.store.sql_base import SqlPart
from smsgate.store.sql_claims import (
    PENDING,
    UNCLAIMED,
    any_due,
    claim_rows,
    claimable,
    release_claims,
)
from smsgate.store.sql_outbox import DELIVERED, FAILED
from smsgate.store.sql_rows import execute_rows, update_by_id

_o = inbound_outbox.c
_older = inbound_outbox.alias("older")
_RECORD = update_by_id(
    inbound_outbox,
    "o_id",
    state=bindparam("o_state"),
    attempts=_o.attempts + 1,
    last_status=bindparam("o_status"),
    last_error=bindparam("o_error"),
    next_at=func.coalesce(bindparam("o_next_at", type_=Float), _o.next_at),
    **UNCLAIMED,
)


def _first_of_key() -> ColumnElement[bool]:
    """The row is the oldest pending of its (account, source, url)."""
    older_pending = (
        select(_older.c.id)
        .where(
            _older.c.state == PENDING,
            _older.c.account_id == _o.account_id,
            _older.c.source == _o.source,
            _older.c.url == _o.url,
            _older.c.id < _o.id,
        )
        .exists()
    )
    return ~older_pending


def due_mo_webhooks(conn: Connection, now: float, limit: int) -> list[MoDelivery]:
    return _deliveries(conn, [_o.state == PENDING, _o.next_at <= now, _first_of_key()], limit)


def claim_mo_webhooks(
    conn: Connection, now: float, limit: int, node: str, lease: float
) -> list[int]:
    """Claim the due rows that nobody holds, oldest first, the first of each key only;
    their ids (`claimed_mo_webhooks` reads them after the commit)."""
    pick = (
        select(_o.id)
        .where(
            _o.state == PENDING,
            _o.next_at <= now,
            _first_of_key(),
            claimable(conn, inbound_outbox, node),
        )
        .order_by(_o.next_at, _o.id)
        .limit(limit)
    )
    return [int(row.id) for row in claim_rows(conn, inbound_outbox, pick, node, lease)]


def claimed_mo_webhooks(conn: Connection, ids: list[int]) -> list[MoDelivery]:
    return _deliveries(conn, [_o.id.in_(ids)], None)


def _deliveries(
    conn: Connection, where: list[ColumnElement[bool]], limit: int | None
) -> list[MoDelivery]:
    query = (
        select(
            _o.id.label("o_id"),
            _o.url,
            _o.shape,
            _o.attempts,
            _o.next_at,
            *inbound.c,
        )
        .select_from(inbound_outbox.join(inbound, inbound.c.id == _o.inbound_id))
        .where(*where)
        .order_by(_o.next_at, _o.id)
        .limit(limit)
    )
    due = []
    for row in conn.execute(query):
        mo = record_from_row(StoredInbound, row._mapping)
        reply_id = _reply_id(conn, mo, row.url) if row.shape == SMSPARTNER_REPLY else None
        delivery = MoDelivery(
            int(row.o_id), row.url, row.shape, int(row.attempts), row.next_at, mo, reply_id
        )
        due.append(delivery)
    return due


def _reply_id(conn: Connection, mo: StoredInbound, url: str) -> str | None:
    """The batch of the latest send with `url` as its reply URL that `mo` replies to."""
    m = messages.c
    to, senders = reply_forms(mo)
    query = (
        select(m.batch_id)
        .where(
            and_(m.to.in_(to), m.sender.in_(senders)),
            m.account_id == mo.account_id,
            m.reply_url == url,
            m.created_at <= mo.received_at,
        )
        .order_by(m.created_at.desc())
        .limit(1)
    )
    found = conn.execute(query).scalar()
    return None if found is None else str(found)


def record_mo_webhooks(
    conn: Connection, attempts: Sequence[NotificationAttempt], now: float
) -> None:
    ids = sorted({a.id for a in attempts})
    existing = {
        int(row.id)
        for row in conn.execute(select(_o.id).where(_o.id.in_(ids), _o.state == PENDING))
    }
    rows = [
        {
            "o_id": a.id,
            "o_state": DELIVERED if a.delivered else PENDING if a.next_at is not None else FAILED,
            "o_status": a.status_code,
            "o_error": a.error,
            "o_next_at": None if a.delivered else a.next_at,
        }
        for a in attempts
        if a.id in existing
    ]
    execute_rows(conn, _RECORD, rows)


class SqlMoOutbox(SqlPart):
    async def due_mo_webhooks(self, now: float, limit: int) -> list[MoDelivery]:
        return await self.connections.read(due_mo_webhooks, now, limit)

    async def claim_mo_webhooks(
        self, now: float, limit: int, node: str, lease: float
    ) -> list[MoDelivery]:
        if not await self.connections.read(any_due, inbound_outbox, now):
            return []
        claimed = await self.connections.write(claim_mo_webhooks, now, limit, node, lease)
        return await self.connections.read(claimed_mo_webhooks, claimed) if claimed else []

    async def release_mo_webhooks(self, node: str) -> int:
        return await self.connections.write(release_claims, inbound_outbox, node)

    async def record_mo_webhooks(self, attempts: Sequence[NotificationAttempt], now: float) -> None:
        if attempts:
            await self.connections.write(record_mo_webhooks, attempts, now)
