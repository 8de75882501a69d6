"""The messages table as the queue in SQL (claim, hold, record sends, expire, recover) and
`SqlDispatch`, SqlStore's part for it. A claim is one `UPDATE ... RETURNING` of the due
rows a subquery picks (SKIP LOCKED on PostgreSQL; on SQLite the writer's BEGIN IMMEDIATE
keeps claimers apart). Row locks are NO KEY UPDATE: rows that only reference a message
(parts, outbox) may be inserted meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, text, update
from sqlalchemy.engine import Connection

from smsgate.core.ledger import EntryKind
from smsgate.core.messages import FINAL, PART_FINAL, Message, PartStatus, Status, can_advance
from smsgate.services.ports import Replanned, SendOutcome
from smsgate.store.records import MESSAGE_FIELDS, message_from_values
from smsgate.store.rules import SEND_OUTCOMES
from smsgate.store.schema import messages, parts
from smsgate.store.sql_base import SqlPart
from smsgate.store.sql_finish import Finishing, announce, lock_messages
from smsgate.store.sql_money import Purse
from smsgate.store.sql_nodes import live_node_ids
from smsgate.store.sql_outbox import add_notifications
from smsgate.store.sql_rows import (
    execute_rows,
    fetch_rows,
    insert_rows,
    plan_afresh,
    plan_as_usual,
    update_by_id,
)
from smsgate.store.sql_smpp import add_smpp_receipts

# The claim, per dialect. Status literals (not parameters) let both planners prove the
# partial index ix_messages_due applies; reading it in (next_at, id) order touches
# `limit` entries however many rows are due. SQLite without statistics prefers the
# status index and sorts every due row, hence INDEXED BY. PostgreSQL would hash-join
# `id IN (subquery)` against a scan of the whole table; `= ANY(ARRAY(...))` makes it
# an index lookup of the ids the subquery locked.
_RETURNED = ", ".join(f'"{name}"' for name in MESSAGE_FIELDS)
_CLAIM = {
    "sqlite": text(
        """
        UPDATE messages SET status = 'sending', claimed_at = :now, claimed_by = :node,
            attempts = attempts + 1
        WHERE id IN (
            SELECT id FROM messages INDEXED BY ix_messages_due
            WHERE status IN ('queued', 'scheduled') AND held_for IS NULL AND next_at <= :now
            ORDER BY next_at, id LIMIT :limit)
        RETURNING """
        + _RETURNED
    ),
    "postgresql": text(
        """
        UPDATE messages SET status = 'sending', claimed_at = :now, claimed_by = :node,
            attempts = attempts + 1
        WHERE id = ANY(ARRAY(
            SELECT id FROM messages
            WHERE status IN ('queued', 'scheduled') AND held_for IS NULL AND next_at <= :now
            ORDER BY next_at, id LIMIT :limit
            FOR NO KEY UPDATE SKIP LOCKED))
        RETURNING """
        + _RETURNED
    ),
}

_FINAL_PARTS = [s.value for s in PART_FINAL]

# A held message is queued again as it was before the claim, attempts too.
_HOLD = update_by_id(
    messages,
    "h_id",
    status=Status.QUEUED.value,
    claimed_at=None,
    claimed_by=None,
    attempts=messages.c.attempts - 1,
    held_for=bindparam("h_for"),
)

_RECORD = update_by_id(
    messages,
    "m_id",
    status=bindparam("m_status"),
    error=bindparam("m_error"),
    sent_at=func.coalesce(bindparam("m_sent_at"), messages.c.sent_at),
    done_at=bindparam("m_done_at"),
    next_at=func.coalesce(bindparam("m_next_at"), messages.c.next_at),
    cost=bindparam("m_cost"),
    claimed_at=None,
    claimed_by=None,
)


# The plan a message went out as, when its connector's settings gave another one (its
# cost is set by _RECORD).
_REPLAN = update_by_id(
    messages,
    "p_id",
    encoding=bindparam("p_encoding"),
    concat=bindparam("p_concat"),
    parts=bindparam("p_parts"),
)


def _replan_row(message_id: str, plan: Replanned) -> dict[str, Any]:
    return {
        "p_id": message_id,
        "p_encoding": plan.encoding,
        "p_concat": plan.concat,
        "p_parts": plan.parts,
    }


def claim(
    conn: Connection, now: float, limit: int, node: str | None = None
) -> list[tuple[Any, ...]]:
    """The claimed rows as they come (tuples, `_RETURNED`), claimed by `node`;
    `claimed_messages` makes them messages after the commit, so the write lock is not
    held for it. The claim, and what follows it in its transaction, is planned afresh."""
    plan_afresh(conn)
    return fetch_rows(conn, _CLAIM[conn.dialect.name], now=now, limit=limit, node=node)


def claimed_messages(rows: Sequence[tuple[Any, ...]]) -> list[Message]:
    claimed = [message_from_values(row) for row in rows]
    claimed.sort(key=lambda m: m.id)
    return claimed


def claim_holding(
    conn: Connection,
    now: float,
    limit: int,
    hold: Callable[[Message], str | None],
    node: str | None = None,
) -> list[Message]:
    """Claim, then hold what `hold` names an upstream for, before the transaction commits."""
    claimed = claimed_messages(claim(conn, now, limit, node))
    held = [(m, hold(m)) for m in claimed]
    holds = [{"h_id": m.id, "h_for": upstream} for m, upstream in held if upstream is not None]
    if holds:
        plan_as_usual(conn)  # an executemany: its rows are not planned one by one
        execute_rows(conn, _HOLD, holds)
    return [m for m, upstream in held if upstream is None]


def release_held(
    conn: Connection, limit: int, upstream: str | None = None, exclude: Collection[str] = ()
) -> int:
    """Up to `limit` held messages (for `upstream` only, when given; none held for one
    in `exclude`) become due again, in their old order."""
    held = messages.c.held_for
    which = held.is_not(None) if upstream is None else held == upstream
    if exclude:
        which = and_(which, held.not_in(sorted(exclude)))
    chosen = select(messages.c.id).where(which).limit(limit)
    result = conn.execute(
        update(messages).where(messages.c.id.in_(chosen.scalar_subquery())).values(held_for=None)
    )
    return int(result.rowcount)


def record_sends(conn: Connection, outcomes: Sequence[SendOutcome], now: float) -> None:
    for outcome in outcomes:
        if outcome.status not in SEND_OUTCOMES:
            raise ValueError(f"a send cannot end as {outcome.status}")
    state = lock_messages(conn, (o.message_id for o in outcomes))
    applied: list[tuple[SendOutcome, Finishing]] = []
    for outcome in outcomes:
        # A stale outcome (the message moved on) is ignored, and so is a second
        # outcome for the same message in one call.
        row = state.pop(outcome.message_id, None)
        if row is not None and can_advance(Status(row.status), outcome.status):
            applied.append((outcome, row))
    if not applied:
        return
    purse = Purse.open(
        conn,
        (
            int(row.payer_id)
            for o, row in applied
            if (o.refund > 0 and o.status in FINAL) or o.replanned is not None
        ),
    )
    updates: list[dict[str, Any]] = []
    replans: list[dict[str, Any]] = []
    part_rows: list[dict[str, Any]] = []
    finished: list[tuple[str, Finishing]] = []
    for o, row in applied:
        final = o.status in FINAL
        # A message's cost is what it keeps charged: its plan's, less what was refunded.
        cost = int(row.cost) if o.replanned is None else o.replanned.cost
        if final:
            cost -= o.refund
        if o.replanned is not None:
            replans.append(_replan_row(o.message_id, o.replanned))
            difference = int(row.cost) - o.replanned.cost
            if difference:
                kind = EntryKind.ADJUSTMENT
                purse.move(int(row.payer_id), kind, difference, o.message_id, now, overdraw=True)
        updates.append(
            {
                "m_id": o.message_id,
                "m_status": o.status.value,
                "m_error": o.error,
                "m_sent_at": now if o.status is Status.SENT else None,
                "m_done_at": now if final else None,
                "m_next_at": (o.retry_at or now) if o.status is Status.QUEUED else None,
                "m_cost": cost,
            }
        )
        if o.status is Status.QUEUED:
            continue
        part_rows.extend(
            {
                "message_id": o.message_id,
                "seq": p.seq,
                "status": p.status.value,
                "upstream_id": p.upstream_id,
                "connector": o.connector,
                "error": p.error,
                "done_at": now if p.status in PART_FINAL else None,
            }
            for p in o.parts
        )
        if final:
            finished.append((o.message_id, row))
        if final and o.refund > 0:
            purse.move(int(row.payer_id), EntryKind.REFUND, o.refund, o.message_id, now)
    execute_rows(conn, _RECORD, updates)
    execute_rows(conn, _REPLAN, replans)
    insert_rows(conn, parts, part_rows)
    purse.save(conn)
    announce(conn, finished, now)


def expire(conn: Connection, now: float, limit: int) -> int:
    """Sent messages past validity expire; queued ones never sent also get their money back."""
    result = conn.execute(
        select(
            messages.c.id,
            messages.c.status,
            messages.c.payer_id,
            messages.c.account_id,
            messages.c.cost,
            messages.c.callback_url,
            messages.c.registered_delivery,
        )
        .where(
            messages.c.status.in_([Status.SENT.value, Status.QUEUED.value]),
            messages.c.expires_at <= now,
        )
        .limit(limit)
        .with_for_update(skip_locked=True, key_share=True)
    )
    rows = sorted(result, key=lambda row: str(row.id))
    if not rows:
        return 0
    ids = [str(row.id) for row in rows]
    unsent = [row for row in rows if row.status == Status.QUEUED.value]
    purse = Purse.open(conn, (int(row.payer_id) for row in unsent if row.cost > 0))
    for row in unsent:
        if row.cost > 0:
            purse.move(int(row.payer_id), EntryKind.REFUND, int(row.cost), str(row.id), now)
    conn.execute(
        update(messages)
        .where(messages.c.id.in_(ids))
        .values(
            status=Status.EXPIRED.value,
            done_at=now,
            claimed_at=None,
            claimed_by=None,
            held_for=None,
        )
    )
    if unsent:
        refunded = [str(row.id) for row in unsent]
        conn.execute(update(messages).where(messages.c.id.in_(refunded)).values(cost=0))
    conn.execute(
        update(parts)
        .where(parts.c.message_id.in_(ids), parts.c.status.not_in(_FINAL_PARTS))
        .values(status=PartStatus.EXPIRED.value, done_at=now)
    )
    purse.save(conn)
    add_notifications(conn, ((str(r.id), r.callback_url) for r in rows), now)
    asked = [(str(r.id), int(r.account_id)) for r in rows if r.registered_delivery]
    add_smpp_receipts(conn, asked, now)
    return len(rows)


def recover_sending(
    conn: Connection, older_than: float, node: str | None = None, orphans: bool = True
) -> int:
    """Queue again what is `sending` (see the port): claimed before `older_than` by no
    node or by `node` (every claim when `node` is None), or (with `orphans`) claimed by
    a node whose lease ran out."""
    m = messages.c
    stuck = m.claimed_at < older_than
    if node is not None:
        stuck = and_(stuck, or_(m.claimed_by.is_(None), m.claimed_by == node))
        if orphans:
            orphaned = and_(
                m.claimed_by.is_not(None),
                m.claimed_by != node,
                m.claimed_by.not_in(live_node_ids(conn)),
            )
            stuck = or_(stuck, orphaned)
    result = conn.execute(
        update(messages)
        .where(m.status == Status.SENDING.value, stuck)
        .values(status=Status.QUEUED.value, claimed_at=None, claimed_by=None)
    )
    return int(result.rowcount)


def release_claim(conn: Connection, claimed_at: float, node: str) -> int:
    m = messages.c
    result = conn.execute(
        update(messages)
        .where(m.status == Status.SENDING.value, m.claimed_by == node, m.claimed_at == claimed_at)
        .values(
            status=Status.QUEUED.value, claimed_at=None, claimed_by=None, attempts=m.attempts - 1
        )
    )
    return int(result.rowcount)


def held_messages(conn: Connection) -> dict[str, int]:
    held = messages.c.held_for
    query = select(held, func.count()).where(held.is_not(None)).group_by(held)
    return {str(name): int(count) for name, count in conn.execute(query)}


def queue_depth(conn: Connection) -> int:
    query = select(func.count()).where(
        messages.c.status.in_([Status.QUEUED.value, Status.SENDING.value])
    )
    return int((conn.execute(query)).scalar_one())


class SqlDispatch(SqlPart):
    async def claim(
        self,
        now: float,
        limit: int,
        hold: Callable[[Message], str | None] | None = None,
        node: str | None = None,
    ) -> list[Message]:
        if hold is not None:
            return await self.connections.write(claim_holding, now, limit, hold, node)
        return claimed_messages(await self.connections.write(claim, now, limit, node))

    async def release_held(
        self, limit: int, upstream: str | None = None, *, exclude: Collection[str] = ()
    ) -> int:
        return await self.connections.write(release_held, limit, upstream, exclude)

    async def held_messages(self) -> dict[str, int]:
        return await self.connections.read(held_messages)

    async def record_sends(self, outcomes: Sequence[SendOutcome], now: float) -> None:
        if outcomes:
            await self.connections.write(record_sends, outcomes, now)

    async def expire(self, now: float, limit: int) -> int:
        return await self.connections.write(expire, now, limit)

    async def recover_sending(
        self, older_than: float, node: str | None = None, *, orphans: bool = True
    ) -> int:
        return await self.connections.write(recover_sending, older_than, node, orphans)

    async def release_claim(self, claimed_at: float, node: str) -> int:
        return await self.connections.write(release_claim, claimed_at, node)

    async def queue_depth(self) -> int:
        return await self.connections.read(queue_depth)
