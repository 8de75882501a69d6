"""Inbound (MO) rows in SQL: whole messages in `inbound`, the parts of a concatenated one
in `inbound_parts` until the last arrives, and the reads of MO routing and polling.
On PostgreSQL the parts of one message are added under an advisory lock of their message,
so two parts arriving on two binds at once cannot both miss the other (SQLite's writer
lock does the same). `SqlInbound` is SqlStore's part for them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from smsgate.services.inbound import (
    InboundMessage,
    InboundPart,
    InboundQuery,
    JoinParts,
    StoredInbound,
)
from smsgate.services.inbound_plan import NO_EFFECTS, MoEffects
from smsgate.store.groupcommit import GroupCommit
from smsgate.store.records import record_from_row
from smsgate.store.schema import messages
from smsgate.store.schema_inbound import inbound, inbound_parts
from smsgate.store.sql_accept import may_be_one_submissions
from smsgate.store.sql_base import SqlPart
from smsgate.store.sql_inbound_effects import apply_effects


def insert_inbound(conn: Connection, mo: InboundMessage) -> int:
    """Store one MO (routed to `mo.account_id`, or not yet) and return its id."""
    statement = insert(inbound).values(asdict(mo)).returning(inbound.c.id)
    return int(conn.execute(statement).scalar_one())


def add_inbound(conn: Connection, mo: InboundMessage, effects: MoEffects) -> int:
    """Store one MO and apply its effects when it is routed; returns its id."""
    inbound_id = insert_inbound(conn, mo)
    apply_effects(conn, inbound_id, mo, effects)
    return inbound_id


def add_inbound_part(
    conn: Connection, part: InboundPart, join: JoinParts, stale_before: float
) -> int | None:
    """Keep `part`; store its message and drop its parts once all are in (see the port)."""
    p = inbound_parts.c
    connector, source, destination, reference, total = part.message
    same_message = (
        p.connector == connector,
        p.source == source,
        p.destination == destination,
        p.reference == reference,
        p.total == total,
    )
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_message_key(part))))
    conn.execute(delete(inbound_parts).where(p.received_at < stale_before))
    conn.execute(delete(inbound_parts).where(*same_message, p.sequence == part.sequence))
    conn.execute(insert(inbound_parts).values(asdict(part)))
    payloads = conn.execute(select(p.payload).where(*same_message).order_by(p.sequence)).scalars()
    kept = [bytes(payload) for payload in payloads]
    if len(kept) < part.total:
        return None
    conn.execute(delete(inbound_parts).where(*same_message))
    return add_inbound(conn, *join(kept))


def reply_to(
    conn: Connection, to: list[str], senders: list[str], since: float
) -> tuple[int, str | None] | None:
    m = messages.c
    query = (
        select(m.account_id, m.reply_url)
        .where(m.to.in_(to), m.sender.in_(senders), m.created_at >= since)
        .order_by(m.created_at.desc())
        .limit(1)
    )
    found = conn.execute(query).first()
    return None if found is None else (int(found.account_id), found.reply_url)


def inbound_messages(conn: Connection, query: InboundQuery) -> list[StoredInbound]:
    c = inbound.c
    where = []
    if query.account_id is not None:
        where.append(c.account_id == query.account_id)
    if query.unrouted:
        where.append(c.account_id.is_(None))
    if query.destination is not None:
        where.append(c.destination.in_(_forms(query.destination)))
    if query.source is not None:
        where.append(c.source.in_(_forms(query.source)))
    if query.keyword is not None:
        where.append(c.keyword == query.keyword)
    if query.since is not None:
        where.append(c.received_at >= query.since)
    if query.until is not None:
        where.append(c.received_at < query.until)
    if query.before_id is not None:
        where.append(c.id < query.before_id)
    statement = select(inbound).where(*where).order_by(c.id.desc()).limit(query.limit)
    return [record_from_row(StoredInbound, row._mapping) for row in conn.execute(statement)]


def inbound_message(conn: Connection, inbound_id: int) -> StoredInbound | None:
    row = conn.execute(select(inbound).where(inbound.c.id == inbound_id)).first()
    return None if row is None else record_from_row(StoredInbound, row._mapping)


def _forms(number: str) -> list[str]:
    """A normalised number as an operator may have written it: with and without '+'."""
    return [number, number[1:]] if number.startswith("+") else [number]


def _message_key(part: InboundPart) -> int:
    """A signed 64-bit advisory lock key for the message `part` belongs to."""
    name = "\0".join(str(field) for field in part.message)
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def add_inbounds(conn: Connection, group: Sequence[tuple[InboundMessage, MoEffects]]) -> list[int]:
    return [add_inbound(conn, mo, effects) for mo, effects in group]


class SqlInbound(SqlPart):
    mo_commit: GroupCommit[tuple[InboundMessage, MoEffects], int]

    def _open_mo_commit(self, max_group: int) -> None:
        """MO arriving at once on every bind share a transaction, as submissions do."""
        self.mo_commit = GroupCommit(
            self._add_inbound_group, max_group=max_group, isolate=may_be_one_submissions
        )

    async def add_inbound(self, mo: InboundMessage, effects: MoEffects = NO_EFFECTS) -> int:
        return await self.mo_commit.submit((mo, effects))

    async def _add_inbound_group(
        self, group: Sequence[tuple[InboundMessage, MoEffects]]
    ) -> list[int]:
        return await self.connections.write(add_inbounds, group)

    async def add_inbound_part(
        self, part: InboundPart, join: JoinParts, stale_before: float
    ) -> int | None:
        return await self.connections.write(add_inbound_part, part, join, stale_before)

    async def reply_to(
        self, to: list[str], senders: list[str], since: float
    ) -> tuple[int, str | None] | None:
        return await self.connections.read(reply_to, to, senders, since)

    async def inbound_messages(self, query: InboundQuery) -> list[StoredInbound]:
        return await self.connections.read(inbound_messages, query)

    async def inbound_message(self, inbound_id: int) -> StoredInbound | None:
        if not 0 < inbound_id < 2**63:
            return None
        return await self.connections.read(inbound_message, inbound_id)
