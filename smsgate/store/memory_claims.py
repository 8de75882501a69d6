"""Outbox rows of `MemoryStore` claimed by one node (the same rule as sql_claims, on this
process's clock and the nodes of `MemoryTables._nodes`), and a webhook row's attempt
recorded, which ends its claim."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Protocol

from smsgate.services.nodes import Node
from smsgate.services.ports import NotificationAttempt
from smsgate.store.memory_tables import PENDING


class Claimed(Protocol):
    claimed_by: str | None
    claimed_until: float | None


def claimable(row: Claimed, node: str | None, nodes: Mapping[str, Node]) -> bool:
    """Whether `node` may claim the row (None: whether no live claim holds it)."""
    now = time.time()
    if row.claimed_by is None or row.claimed_until is None or row.claimed_until < now:
        return True
    if row.claimed_by == node:
        return False
    holder = nodes.get(row.claimed_by)
    return holder is None or holder.lease_until < now


def take(row: Claimed, node: str, lease: float) -> None:
    row.claimed_by, row.claimed_until = node, time.time() + lease


def clear(row: Claimed) -> None:
    row.claimed_by = row.claimed_until = None


class Attempted(Claimed, Protocol):
    state: str
    attempts: int
    next_at: float
    last_status: int | None
    last_error: str | None


def record_attempt(row: Attempted, attempt: NotificationAttempt) -> None:
    """A webhook outbox row after one POST: its claim ended, the attempt counted with its
    answer, and delivered, failed for good or due again at `next_at`."""
    clear(row)
    row.attempts += 1
    row.last_status, row.last_error = attempt.status_code, attempt.error
    if attempt.delivered:
        row.state = "delivered"
    elif attempt.next_at is None:
        row.state = "failed"
    else:
        row.state, row.next_at = PENDING, attempt.next_at


def release(rows: Iterable[Claimed], node: str) -> int:
    """End every claim `node` holds on `rows`; how many there were."""
    mine = [row for row in rows if row.claimed_by == node]
    for row in mine:
        clear(row)
    return len(mine)
