"""The message tables partitioned by day for bench/postgres_scale.py (primary keys gain
created_at; foreign keys to messages(id) go), index and table sizes, and retention as
aggregating then dropping a day's partitions."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import asyncpg

from bench.postgres_scale_data import DAY, DAYS, START
from smsgate.services.retention import BUCKET


def day_name(table: str, day: int) -> str:
    return f"{table}_d{datetime.fromtimestamp(START + day * DAY, UTC):%Y%m%d}"


async def daily_partitions(conn: asyncpg.Connection) -> list[str]:
    """Replace the migrated messages and parts by tables partitioned by created_at, one
    partition a day (and the next day's); the foreign keys that referred to
    messages(id) are returned, dropped."""
    lost = [
        f"{r['t']}.{r['conname']}"
        for r in await conn.fetch(
            """SELECT conrelid::regclass::text AS t, conname FROM pg_constraint
               WHERE contype = 'f' AND confrelid = 'messages'::regclass"""
        )
    ]
    own_keys = await conn.fetch(
        """SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
           WHERE contype = 'f' AND conrelid = 'messages'::regclass"""
    )
    async with conn.transaction():
        await conn.execute(
            """CREATE TABLE messages_daily (LIKE messages INCLUDING DEFAULTS
                   INCLUDING CONSTRAINTS) PARTITION BY RANGE (created_at);
               CREATE TABLE parts_daily (LIKE parts INCLUDING DEFAULTS,
                   created_at double precision NOT NULL) PARTITION BY RANGE (created_at);
               DROP TABLE parts;
               DROP TABLE messages CASCADE;
               ALTER TABLE messages_daily RENAME TO messages;
               ALTER TABLE parts_daily RENAME TO parts;
               ALTER TABLE messages ADD CONSTRAINT pk_messages PRIMARY KEY (id, created_at);
               ALTER TABLE parts ADD CONSTRAINT pk_parts
                   PRIMARY KEY (message_id, seq, created_at);"""
        )
        for key in own_keys:
            await conn.execute(f"ALTER TABLE messages ADD CONSTRAINT {key['conname']} {key['def']}")
        for day in range(DAYS + 1):
            low, high = START + day * DAY, START + (day + 1) * DAY
            for table in ("messages", "parts"):
                await conn.execute(
                    f"CREATE TABLE {day_name(table, day)} PARTITION OF {table} "
                    f"FOR VALUES FROM ({low}) TO ({high})"
                )
    return lost


async def index_sizes(url: str) -> dict[str, str]:
    """Each table's and index's size on disk (summed over partitions)."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            """SELECT name, pg_size_pretty(bytes) AS size FROM (
               SELECT c.relname AS name, coalesce((SELECT sum(pg_relation_size(relid))
                   FROM pg_partition_tree(c.oid)), pg_relation_size(c.oid)) AS bytes
               FROM pg_class AS c
               WHERE c.relname IN ('messages', 'parts') OR c.oid IN (
                   SELECT indexrelid FROM pg_index
                   WHERE indrelid IN ('messages'::regclass, 'parts'::regclass))
               ) AS each ORDER BY bytes DESC"""
        )
    finally:
        await conn.close()
    return {str(r["name"]): str(r["size"]) for r in rows}


_AGGREGATE = f"""
INSERT INTO message_aggregates (account_id, bucket, connector, status, currency, messages,
    parts, cost)
SELECT m.account_id, floor(m.created_at / {BUCKET})::bigint * {BUCKET},
    coalesce(p.connector, ''), m.status, m.currency, count(*), sum(m.parts), sum(m.cost)
FROM {{messages}} AS m LEFT JOIN {{parts}} AS p ON p.message_id = m.id AND p.seq = 1
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (account_id, bucket, connector, status, currency) DO UPDATE SET
    messages = message_aggregates.messages + excluded.messages,
    parts = message_aggregates.parts + excluded.parts,
    cost = message_aggregates.cost + excluded.cost
"""


async def partition_retention(url: str) -> list[str]:
    """Lookups by id with and without the creation time, then the oldest day retired:
    its totals added to the aggregates, its two partitions dropped."""
    conn = await asyncpg.connect(url)
    lines = []
    try:
        some_id, created = await conn.fetchrow(
            "SELECT id, created_at FROM messages WHERE created_at >= $1 "
            "ORDER BY created_at LIMIT 1",
            START + DAYS * DAY / 2,
        )
        for label, sql, args in (
            ("lookup by id alone", "SELECT * FROM messages WHERE id = $1", (some_id,)),
            (
                "lookup by id and created_at ± 1 s",
                "SELECT * FROM messages WHERE id = $1 AND created_at BETWEEN $2 AND $3",
                (some_id, created - 1, created + 1),
            ),
        ):
            await conn.fetch(sql, *args)
            started = time.perf_counter()
            for _ in range(100):
                await conn.fetch(sql, *args)
            lines.append(f"| {label} | {(time.perf_counter() - started) * 10:,.2f} ms |")
        messages, parts = day_name("messages", 0), day_name("parts", 0)
        count = await conn.fetchval(f"SELECT count(*) FROM {messages}")
        async with conn.transaction():
            started = time.perf_counter()
            await conn.execute(_AGGREGATE.format(messages=messages, parts=parts))
            aggregated = time.perf_counter() - started
            started = time.perf_counter()
            await conn.execute(f"DROP TABLE {parts}; DROP TABLE {messages}")
            dropped = time.perf_counter() - started
        lines.append(f"| aggregate one day ({count:,} messages) | {aggregated * 1000:,.0f} ms |")
        lines.append(f"| drop that day's two partitions | {dropped * 1000:,.1f} ms |")
    finally:
        await conn.close()
    return lines
