"""The queue of `MemoryStore`: claims, held messages, sends, receipts, expiry and the
webhook outbox; the same semantics as sql_dispatch, sql_receipts and sql_outbox."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace

from smsgate.core.ledger import EntryKind
from smsgate.core.messages import (
    PART_FINAL,
    Message,
    Part,
    PartStatus,
    Status,
    can_advance,
    status_from_parts,
)
from smsgate.services.ports import (
    AppliedReceipts,
    Notification,
    NotificationAttempt,
    ReceiptUpdate,
    Replanned,
    SendOutcome,
)
from smsgate.store import memory_claims as claims
from smsgate.store.memory_tables import MemoryTables, OutboxItem, Queued
from smsgate.store.rules import OPEN_PARTS, RECEIPT_MATCHABLE, SEND_OUTCOMES


class MemoryDispatch(MemoryTables):
    def _replan(self, row: Queued, plan: Replanned, now: float) -> None:
        m = row.message
        difference = m.cost - plan.cost
        if difference:
            move = (m.payer_id, EntryKind.ADJUSTMENT, difference, m.id)
            self._move([move], now, overdraw=True)
        row.message = replace(
            m, encoding=plan.encoding, concat=plan.concat, parts=plan.parts, cost=plan.cost
        )

    async def claim(
        self,
        now: float,
        limit: int,
        hold: Callable[[Message], str | None] | None = None,
        node: str | None = None,
    ) -> list[Message]:
        due = sorted(
            (row.next_at, row.message.id)
            for row in self._messages.values()
            if row.message.status in (Status.QUEUED, Status.SCHEDULED)
            and row.held_for is None
            and row.next_at <= now
        )[:limit]
        claimed = []
        for _, message_id in due:
            row = self._messages[message_id]
            row.held_for = hold(row.message) if hold is not None else None
            if row.held_for is not None:
                row.message = replace(row.message, status=Status.QUEUED)
                continue
            attempts = row.message.attempts + 1
            row.message = replace(row.message, status=Status.SENDING, attempts=attempts)
            row.claimed_at = now
            row.claimed_by = node
            claimed.append(row.message)
        return sorted(claimed, key=lambda m: m.id)

    async def held_messages(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self._messages.values():
            if row.held_for is not None:
                counts[row.held_for] = counts.get(row.held_for, 0) + 1
        return counts

    async def release_held(
        self, limit: int, upstream: str | None = None, *, exclude: Collection[str] = ()
    ) -> int:
        held = [
            row
            for row in self._messages.values()
            if row.held_for is not None
            and upstream in (None, row.held_for)
            and row.held_for not in exclude
        ][:limit]
        for row in held:
            row.held_for = None
        return len(held)

    async def record_sends(self, outcomes: Sequence[SendOutcome], now: float) -> None:
        for outcome in outcomes:
            if outcome.status not in SEND_OUTCOMES:
                raise ValueError(f"a send cannot end as {outcome.status}")
        seen: set[str] = set()
        for o in outcomes:
            row = self._messages.get(o.message_id)
            if row is None or o.message_id in seen or not can_advance(row.message.status, o.status):
                continue
            seen.add(o.message_id)
            if o.replanned is not None:
                self._replan(row, o.replanned, now)
            if o.status is Status.QUEUED:
                row.message = replace(row.message, status=Status.QUEUED, error=o.error)
                row.next_at = o.retry_at or now
                row.claimed_at = row.claimed_by = None
                continue
            for p in o.parts:
                part = Part(o.message_id, p.seq, p.status, p.upstream_id, o.connector, p.error)
                self._parts.setdefault(o.message_id, {})[p.seq] = part
                if o.connector is not None and p.upstream_id is not None:
                    key = (o.connector, p.upstream_id)
                    self._by_upstream.setdefault(key, []).append((o.message_id, p.seq))
            if o.status is Status.SENT:
                row.message = replace(row.message, status=Status.SENT, sent_at=now, error=o.error)
                row.claimed_at = row.claimed_by = None
            else:
                self._refund(row, o.refund, now)
                self._finish(row, o.status, now, o.error)

    async def apply_receipts(self, receipts: Sequence[ReceiptUpdate]) -> AppliedReceipts:
        unmatched = []
        repeated = 0
        latest: dict[str, float] = {}
        for r in receipts:
            known = self._by_upstream.get((r.connector, r.upstream_id), [])
            candidates = [
                (message_id, seq)
                for message_id, seq in known
                if self._parts[message_id][seq].status.value in RECEIPT_MATCHABLE
            ]
            if not candidates:
                if known:
                    repeated += 1
                else:
                    unmatched.append(r)
                continue
            message_id, seq = max(candidates)
            part = self._parts[message_id][seq]
            self._parts[message_id][seq] = replace(part, status=r.status, error=r.error)
            latest[message_id] = max(r.at, latest.get(message_id, r.at))
        finished: dict[Status, int] = {}
        for message_id, at in latest.items():
            row = self._messages[message_id]
            states = [(p.status, p.error) for p in self._parts_of(message_id)]
            final = status_from_parts(s for s, _ in states)
            if final is None or not can_advance(row.message.status, final):
                continue
            error = next((e for s, e in states if s.value == final.value), None)
            self._finish(row, final, at, error)
            finished[final] = finished.get(final, 0) + 1
        return AppliedReceipts(finished, unmatched, repeated)

    async def open_parts(self, connector: str) -> list[tuple[str, str]]:
        return [
            (str(part.upstream_id), self._messages[message_id].message.to)
            for message_id in sorted(self._parts)
            for part in self._parts_of(message_id)
            if part.connector == connector
            and part.upstream_id is not None
            and part.status.value in OPEN_PARTS
        ]

    async def expire(self, now: float, limit: int) -> int:
        due = [
            row
            for row in self._messages.values()
            if row.message.status in (Status.SENT, Status.QUEUED) and row.message.expires_at <= now
        ][:limit]
        for row in due:
            if row.message.status is Status.QUEUED:
                self._refund(row, row.message.cost, now)
            for seq, part in self._parts.get(row.message.id, {}).items():
                if part.status not in PART_FINAL:
                    self._parts[row.message.id][seq] = replace(part, status=PartStatus.EXPIRED)
            row.held_for = None
            self._finish(row, Status.EXPIRED, now, row.message.error)
        return len(due)

    async def recover_sending(
        self, older_than: float, node: str | None = None, *, orphans: bool = True
    ) -> int:
        live = {n.id for n in self._nodes.values() if n.lease_until >= time.time()}

        def stuck(row: Queued) -> bool:
            old = row.claimed_at is not None and row.claimed_at < older_than
            if node is None or row.claimed_by in (None, node):
                return old
            return orphans and row.claimed_by not in live

        rows = [
            row
            for row in self._messages.values()
            if row.message.status is Status.SENDING and stuck(row)
        ]
        for row in rows:
            row.message = replace(row.message, status=Status.QUEUED)
            row.claimed_at = row.claimed_by = None
        return len(rows)

    async def release_claim(self, claimed_at: float, node: str) -> int:
        rows = [
            row
            for row in self._messages.values()
            if row.message.status is Status.SENDING
            and row.claimed_by == node
            and row.claimed_at == claimed_at
        ]
        for row in rows:
            attempts = row.message.attempts - 1
            row.message = replace(row.message, status=Status.QUEUED, attempts=attempts)
            row.claimed_at = row.claimed_by = None
        return len(rows)

    async def due_notifications(self, now: float, limit: int) -> list[Notification]:
        return [self._notification(i, o) for i, o in self._due_outbox(now, limit, None)]

    async def claim_notifications(
        self, now: float, limit: int, node: str, lease: float
    ) -> list[Notification]:
        due = self._due_outbox(now, limit, node)
        for _, item in due:
            claims.take(item, node, lease)
        return [self._notification(i, o) for i, o in due]

    async def release_notifications(self, node: str) -> int:
        return claims.release(self._outbox.values(), node)

    def _due_outbox(self, now: float, limit: int, node: str | None) -> list[tuple[int, OutboxItem]]:
        """Pending rows due by `now`, oldest first; those `node` may claim, if given."""
        due = sorted(
            (item.next_at, outbox_id, item)
            for outbox_id, item in self._outbox.items()
            if item.state == "pending"
            and item.next_at <= now
            and (node is None or claims.claimable(item, node, self._nodes))
        )[:limit]
        return [(i, o) for _, i, o in due]

    def _notification(self, outbox_id: int, item: OutboxItem) -> Notification:
        message = self._message_of(item)
        return Notification(
            outbox_id, item.message_id, item.url, item.attempts, item.next_at, message
        )

    def _message_of(self, item: OutboxItem) -> Message | None:
        row = self._messages.get(item.message_id)
        return None if row is None else row.message

    async def record_notifications(
        self, attempts: Sequence[NotificationAttempt], now: float
    ) -> None:
        for attempt in attempts:
            item = self._outbox.get(attempt.id)
            if item is not None:
                claims.record_attempt(item, attempt)

    async def queue_depth(self) -> int:
        busy = (Status.QUEUED, Status.SENDING)
        return sum(1 for row in self._messages.values() if row.message.status in busy)
