"""Delivery receipts in SQL: match parts by (connector, upstream id), finish whole messages.

Messages are locked (in id order) before their parts are read back, so two
transactions finishing different parts of one message cannot both miss the last one.
`SqlReceipts` is SqlStore's part for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, literal, or_, select, update
from sqlalchemy.engine import Connection

from smsgate.core.messages import PartStatus, Status, can_advance, status_from_parts
from smsgate.services.ports import AppliedReceipts, ReceiptUpdate
from smsgate.store.rules import OPEN_PARTS, RECEIPT_MATCHABLE
from smsgate.store.schema import messages, parts
from smsgate.store.sql_base import SqlPart
from smsgate.store.sql_finish import Finishing, announce, lock_messages
from smsgate.store.sql_rows import ListQuery, execute_rows, update_by_id

_CHUNK = 500

_FINISH_PART = (
    update(parts)
    .where(
        parts.c.message_id == bindparam("p_message_id"),
        parts.c.seq == bindparam("p_seq"),
        # OR of equalities: an IN list would expand, which executemany cannot do.
        or_(*(parts.c.status == status for status in RECEIPT_MATCHABLE)),
    )
    .values(status=bindparam("p_status"), error=bindparam("p_error"), done_at=bindparam("p_at"))
)
_FINISH_MESSAGE = update_by_id(
    messages,
    "m_id",
    status=bindparam("m_status"),
    error=bindparam("m_error"),
    done_at=bindparam("m_at"),
)

# Parts a receipt may change, newest message first for each (connector, upstream id).
_OPEN_PARTS = ListQuery(
    lambda upstream_ids: (
        select(parts.c.message_id, parts.c.seq, parts.c.upstream_id)
        .where(
            parts.c.connector == bindparam("connector"),
            parts.c.upstream_id.in_(upstream_ids),
            parts.c.status.in_([literal(status) for status in RECEIPT_MATCHABLE]),
        )
        .order_by(parts.c.message_id.desc(), parts.c.seq.desc())
    )
)
_PART_STATES = ListQuery(
    lambda ids: (
        select(parts.c.message_id, parts.c.status, parts.c.error)
        .where(parts.c.message_id.in_(ids))
        .order_by(parts.c.message_id, parts.c.seq)
    )
)

Key = tuple[str, str]


def apply_receipts(conn: Connection, receipts: Sequence[ReceiptUpdate]) -> AppliedReceipts:
    """Record the receipts that match a part still open to them; sort out the others."""
    open_parts = _open_parts(conn, {(r.connector, r.upstream_id) for r in receipts})
    unmatched: list[ReceiptUpdate] = []
    finishing: list[dict[str, Any]] = []
    latest: dict[str, float] = {}
    for receipt in receipts:
        candidates = open_parts.get((receipt.connector, receipt.upstream_id))
        if not candidates:
            unmatched.append(receipt)
            continue
        message_id, seq = candidates.pop(0)
        finishing.append(
            {
                "p_message_id": message_id,
                "p_seq": seq,
                "p_status": receipt.status.value,
                "p_error": receipt.error,
                "p_at": receipt.at,
            }
        )
        latest[message_id] = max(receipt.at, latest.get(message_id, receipt.at))
    unmatched, repeated = _split_repeats(conn, unmatched)
    if not finishing:
        return AppliedReceipts({}, unmatched, repeated)

    touched = sorted(latest)
    current = lock_messages(conn, touched)
    execute_rows(conn, _FINISH_PART, finishing)

    by_message: dict[str, list[tuple[PartStatus, str | None]]] = {}
    for message_id, status, error in _PART_STATES.rows(conn, touched):
        by_message.setdefault(str(message_id), []).append((PartStatus(status), error))

    done: list[dict[str, Any]] = []
    ended: list[tuple[str, Finishing]] = []
    for message_id, part_states in by_message.items():
        final = status_from_parts(status for status, _ in part_states)
        state = current.get(message_id)
        if final is None or state is None or not can_advance(Status(state.status), final):
            continue
        error = next((e for s, e in part_states if s.value == final.value), None)
        done.append(
            {
                "m_id": message_id,
                "m_status": final.value,
                "m_error": error,
                "m_at": latest[message_id],
            }
        )
        ended.append((message_id, state))
    finished: dict[Status, int] = {}
    if done:
        execute_rows(conn, _FINISH_MESSAGE, done)
        announce(conn, ended, max(latest.values()))
        for finishing_row in done:
            status = Status(finishing_row["m_status"])
            finished[status] = finished.get(status, 0) + 1
    return AppliedReceipts(finished, unmatched, repeated)


def _split_repeats(
    conn: Connection, unmatched: list[ReceiptUpdate]
) -> tuple[list[ReceiptUpdate], int]:
    """Unmatched receipts whose part is already final are repeats; the rest wait.

    A part that is still open here was committed after `_open_parts` looked (PostgreSQL
    reads each statement's own snapshot): that receipt waits for the next try, too.
    """
    if not unmatched:
        return unmatched, 0
    known: set[Key] = set()
    keys = {(r.connector, r.upstream_id) for r in unmatched}
    for connector in {c for c, _ in keys}:
        ids = [u for c, u in keys if c == connector]
        for start in range(0, len(ids), _CHUNK):
            result = conn.execute(
                select(parts.c.upstream_id).where(
                    parts.c.connector == connector,
                    parts.c.upstream_id.in_(ids[start : start + _CHUNK]),
                    parts.c.status.not_in(RECEIPT_MATCHABLE),
                )
            )
            known.update((connector, str(row.upstream_id)) for row in result)
    waiting = [r for r in unmatched if (r.connector, r.upstream_id) not in known]
    return waiting, len(unmatched) - len(waiting)


def _open_parts(conn: Connection, keys: set[Key]) -> dict[Key, list[tuple[str, int]]]:
    """Parts a receipt may still change, per (connector, upstream id), newest message first."""
    by_connector: dict[str, list[str]] = {}
    for connector, upstream_id in keys:
        by_connector.setdefault(connector, []).append(upstream_id)
    found: dict[Key, list[tuple[str, int]]] = {}
    for connector, upstream_ids in by_connector.items():
        for message_id, seq, upstream_id in _OPEN_PARTS.rows(
            conn, upstream_ids, connector=connector
        ):
            key = (connector, str(upstream_id))
            found.setdefault(key, []).append((str(message_id), int(seq)))
    return found


def open_parts(conn: Connection, connector: str) -> list[tuple[str, str]]:
    """(upstream id, recipient) of the parts sent through `connector` still awaiting a receipt."""
    result = conn.execute(
        select(parts.c.upstream_id, messages.c.to)
        .join(messages, messages.c.id == parts.c.message_id)
        .where(
            parts.c.connector == connector,
            parts.c.status.in_(OPEN_PARTS),
            parts.c.upstream_id.is_not(None),
        )
        .order_by(parts.c.message_id, parts.c.seq)
    )
    return [(str(row.upstream_id), str(row.to)) for row in result]


class SqlReceipts(SqlPart):
    async def apply_receipts(self, receipts: Sequence[ReceiptUpdate]) -> AppliedReceipts:
        if not receipts:
            return AppliedReceipts({}, [])
        return await self.connections.write(apply_receipts, receipts)

    async def open_parts(self, connector: str) -> list[tuple[str, str]]:
        return await self.connections.read(open_parts, connector)
