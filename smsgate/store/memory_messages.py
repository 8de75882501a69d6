"""Accepting, reading and cancelling messages in `MemoryStore`; the same semantics as
sql_accept and sql_messages."""

from __future__ import annotations

from smsgate.core.errors import Conflict, NotFound
from smsgate.core.ledger import EntryKind
from smsgate.core.messages import Message, Part, Status
from smsgate.services.ports import Accepted, MessageQuery, Submission
from smsgate.store.memory_tables import MemoryTables, Queued
from smsgate.store.records import new_messages


class MemoryMessages(MemoryTables):
    async def accept(self, submission: Submission) -> Accepted:
        s = submission
        if s.reference is not None and (s.account_id, s.reference) in self._references:
            batch_id = self._references[(s.account_id, s.reference)]
            found = tuple(self._messages[i].message for i in self._batches[batch_id])
            return Accepted(batch_id, found, replayed=True)
        self._move([(s.payer_id, EntryKind.CHARGE, -s.total_cost, s.batch_id)], s.created_at)
        created = new_messages(s)
        for message in created:
            self._messages[message.id] = Queued(message, s.scheduled_at or s.created_at)
        self._batches[s.batch_id] = [m.id for m in created]
        if s.reference is not None:
            self._references[(s.account_id, s.reference)] = s.batch_id
        return Accepted(s.batch_id, created, replayed=False)

    async def message(self, message_id: str) -> Message | None:
        row = self._messages.get(message_id)
        return None if row is None else row.message

    async def parts(self, message_id: str) -> list[Part]:
        return self._parts_of(message_id)

    async def messages(self, account_id: int, query: MessageQuery) -> list[Message]:
        q = query
        found = [
            m
            for m in (row.message for row in self._messages.values())
            if m.account_id == account_id
            and (q.status is None or m.status is q.status)
            and (q.batch_id is None or m.batch_id == q.batch_id)
            and (q.since is None or m.created_at >= q.since)
            and (q.before_id is None or m.id < q.before_id)
            and (q.to is None or m.to == q.to)
            and (q.until is None or m.created_at < q.until)
            and (q.sender is None or m.sender == q.sender)
            and (q.reference is None or m.reference == q.reference)
        ]
        found.sort(key=lambda m: m.id, reverse=True)
        return found[: q.limit]

    async def cancel(self, message_id: str, now: float) -> Message:
        row = self._messages.get(message_id)
        if row is None:
            raise NotFound(f"no message {message_id}")
        if row.message.status is not Status.SCHEDULED:
            raise Conflict(f"a {row.message.status} message cannot be cancelled")
        self._refund(row, row.message.cost, now)
        return self._finish(row, Status.CANCELLED, now, row.message.error)
