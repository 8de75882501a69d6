"""Accepting a group of submissions in one SQL transaction (the body of the group commit),
and `SqlAccept`, SqlStore's part that hands `accept` to the group commit. A known
(account, reference) is a replay and charges nothing; otherwise the payer's running
balance must cover it, or that submission alone fails with InsufficientCredit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from smsgate.core.errors import SmsgateError
from smsgate.core.ledger import EntryKind
from smsgate.core.messages import Message
from smsgate.services.ports import Accepted, Submission
from smsgate.store.groupcommit import GroupCommit
from smsgate.store.records import MESSAGE_COLUMNS, message_from_row, message_values, new_messages
from smsgate.store.schema import batches, messages
from smsgate.store.sql_base import SqlPart
from smsgate.store.sql_money import Purse
from smsgate.store.sql_rows import Rows

Key = tuple[int, str]
BATCH_COLUMNS = ("id", "account_id", "reference", "created_at")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A submission with its messages and their rows, built before the write lock is
    taken: on SQLite every process waits while a transaction holds it."""

    submission: Submission
    messages: tuple[Message, ...]
    rows: list[tuple[Any, ...]]


def prepare(submission: Submission) -> Prepared:
    created = new_messages(submission)
    return Prepared(submission, created, [message_values(m) for m in created])


def accept_group(conn: Connection, prepared: Sequence[Prepared]) -> list[Accepted | SmsgateError]:
    """Store and charge each submission, or report why not; the caller commits."""
    submissions = [p.submission for p in prepared]
    # Lock the payers before looking up references: a concurrent transaction with the
    # same reference holds the same payer, so we see its batch once we get the lock.
    purse = Purse.open(conn, (s.payer_id for s in submissions))
    known = _known_batches(
        conn, {(s.account_id, s.reference) for s in submissions if s.reference is not None}
    )
    earlier = _messages_of(conn, known.values())

    results: list[Accepted | SmsgateError] = []
    fresh: dict[Key, Accepted] = {}
    batch_rows: list[tuple[Any, ...]] = []
    rows: list[tuple[Any, ...]] = []
    for p in prepared:
        s = p.submission
        key = (s.account_id, s.reference) if s.reference is not None else None
        if key is not None and key in known:
            results.append(Accepted(known[key], earlier.get(known[key], ()), replayed=True))
            continue
        if key is not None and key in fresh:
            results.append(replace(fresh[key], replayed=True))
            continue
        try:
            purse.move(s.payer_id, EntryKind.CHARGE, -s.total_cost, s.batch_id, s.created_at)
        except SmsgateError as exc:
            results.append(exc)
            continue
        batch_rows.append((s.batch_id, s.account_id, s.reference, s.created_at))
        accepted = Accepted(s.batch_id, p.messages, False)
        rows.extend(p.rows)
        if key is not None:
            fresh[key] = accepted
        results.append(accepted)

    purse.save(
        conn, Rows(batches, BATCH_COLUMNS, batch_rows), Rows(messages, MESSAGE_COLUMNS, rows)
    )
    return results


def _known_batches(conn: Connection, keys: set[Key]) -> dict[Key, str]:
    if not keys:
        return {}
    result = conn.execute(
        select(batches.c.account_id, batches.c.reference, batches.c.id).where(
            tuple_(batches.c.account_id, batches.c.reference).in_(sorted(keys))
        )
    )
    return {(int(row.account_id), str(row.reference)): str(row.id) for row in result}


def _messages_of(conn: Connection, batch_ids: Iterable[str]) -> dict[str, tuple[Message, ...]]:
    wanted = sorted(set(batch_ids))
    if not wanted:
        return {}
    result = conn.execute(
        select(messages).where(messages.c.batch_id.in_(wanted)).order_by(messages.c.id)
    )
    found: dict[str, list[Message]] = {}
    for row in result:
        message = message_from_row(row._mapping)
        found.setdefault(message.batch_id, []).append(message)
    return {batch_id: tuple(group) for batch_id, group in found.items()}


# Seconds the accepts' group commit gathers callers before each group. On PostgreSQL a
# write transaction costs ~1 ms of CPU whatever it carries (docs/benchmarks.md, "Per
# transaction"), so larger groups pay; on SQLite one turn of the loop is as good.
ACCEPT_GATHER = {"postgresql": 0.001}


class SqlAccept(SqlPart):
    group_commit: GroupCommit[Submission, Accepted]

    def _open_group_commit(self, max_group: int, max_rows: int) -> None:
        # Rows bound the group too: one submission may carry a thousand recipients.
        self.group_commit = GroupCommit(
            self._accept_group,
            max_group=max_group,
            max_weight=max_rows,
            weight=lambda submission: len(submission.messages),
            isolate=may_be_one_submissions,
            gather=ACCEPT_GATHER.get(self.connections.dialect, 0.0),
        )

    async def accept(self, submission: Submission) -> Accepted:
        return await self.group_commit.submit(submission)

    async def _accept_group(self, group: Sequence[Submission]) -> list[Accepted | SmsgateError]:
        # The rows are built before the write lock is taken, not inside the transaction.
        prepared = [prepare(s) for s in group]
        return await self.connections.write(accept_group, prepared)


def may_be_one_submissions(exc: Exception) -> bool:
    """Whether an accept that raised `exc` may have failed for one submission's rows (a
    constraint, a value the driver or the database refuses, a reference another process
    stored first), so its group is split to find it. A database that is locked, full,
    unreachable or whose connection broke fails the whole group: each half would too."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return False
    return not isinstance(
        exc, OperationalError | InterfaceError | sqlite3.OperationalError | OSError
    )
