"""Outbox rows (receipt webhooks, MO webhooks, SMPP deliveries) claimed by one node in
SQL: one `UPDATE ... RETURNING` marks the picked rows with the node's id and a lease on
the database's clock (SKIP LOCKED on PostgreSQL; SQLite's single writer keeps claimers
apart). A row is claimable when unheld, its lease ran out, or its holder's node lease
ran out (sql_nodes); recording an attempt clears the claim (`UNCLAIMED`)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    any_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Row

from smsgate.store.sql_nodes import database_now, live_node_ids
from smsgate.store.sql_rows import fetch_rows

# The state of an outbox row still to be sent, in every outbox.
PENDING = "pending"
# The values that end a claim, for the statement that records an attempt.
UNCLAIMED: dict[str, Any] = {"claimed_by": None, "claimed_until": None}


def claimable(conn: Connection, table: Table, node: str | None) -> ColumnElement[bool]:
    """Rows of `table` that `node` may claim: not held by a live claim (its own
    included: those are in flight here); None: rows no live claim holds."""
    c = table.c
    dead = c.claimed_by.not_in(live_node_ids(conn))
    return or_(
        c.claimed_by.is_(None),
        c.claimed_until < database_now(conn),
        dead if node is None else and_(c.claimed_by != node, dead),
    )


def claim_rows(
    conn: Connection, table: Table, pick: Select[Any], node: str, lease: float
) -> Sequence[Row[Any]]:
    """Claim for `node`, for `lease` seconds, the rows of `table` whose ids `pick`
    selects (it should select only claimable rows); the rows as claimed, in no order."""
    if conn.dialect.name == "postgresql":
        locked = pick.with_for_update(skip_locked=True, key_share=True)
        # `= ANY(ARRAY(...))`: an index lookup of the locked ids, not a hash join
        chosen = table.c.id == any_(func.array(locked.scalar_subquery()))
    else:
        chosen = table.c.id.in_(pick.scalar_subquery())
    statement = (
        update(table)
        .where(chosen)
        .values(claimed_by=node, claimed_until=database_now(conn) + lease)
        .returning(*table.c)
    )
    return conn.execute(statement).all()


def any_due(conn: Connection, table: Table, now: float) -> bool:
    """Whether `table` has a pending row due by `now`, claimed or not: without one a claim
    finds nothing, so an idle sender asks this on a reader instead of taking the write
    lock (an outbox claim builds a statement and reads the live nodes: ~1 ms of CPU)."""
    return bool(fetch_rows(conn, _due_statement(table), now=now))


@cache
def _due_statement(table: Table) -> Select[Any]:
    c = table.c
    return select(c.id).where(c.state == PENDING, c.next_at <= bindparam("now")).limit(1)


def release_claims(conn: Connection, table: Table, node: str) -> int:
    """End every claim `node` holds on `table`; how many there were."""
    statement = update(table).where(table.c.claimed_by == node).values(**UNCLAIMED)
    return int(conn.execute(statement).rowcount)
