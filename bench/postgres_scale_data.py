"""Generated traffic for bench/postgres_scale.py: 30 days of messages and their parts from
~1,000 accounts with a skew, mostly final, a queued backlog at the end; built with
INSERT ... SELECT generate_series in chunks into the migrated schema (indexes dropped
while loading, then built again), or into the same tables partitioned by day."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import asyncpg

DAY = 86_400
DAYS = 30
START = 1_767_225_600  # 2026-01-01 00:00 UTC
NOW = START + DAYS * DAY
ACCOUNTS = 1000
COST = 45_000  # micro-units, one part
BATCH_SIZE = 20  # messages a batch row stands for
CONNECTORS = ("op-a", "op-b", "op-c")

# Row n (1..rows) is created at START + (n - 0.5) * span / rows: ids and creation times
# rise together, as TimeOrderedIds makes them. Account: 1 + floor(1000 * u^3), so
# account 1 sends ~10% of the traffic and half the accounts share ~2%. The newest
# `backlog` rows are queued and due; `sent` rows of the last two days wait for a receipt
# (some of them past their validity, for the expiry sweep); the rest are final.
_MESSAGES = """
WITH made AS (
INSERT INTO {schema}.messages (id, batch_id, account_id, payer_id, "to", sender, text, encoding,
    parts, cost, currency, status, error, reference, callback_url, created_at, scheduled_at,
    next_at, expires_at, sent_at, done_at, attempts, registered_delivery, concat)
SELECT lpad(to_hex(floor(t * 1000)::bigint), 12, '0') || lpad(to_hex(n), 13, '0'),
    'b' || lpad((n / {batch_size})::text, 10, '0'), a, a,
    '+39333' || lpad(((n * 7919) % 10000000)::text, 7, '0'),
    'Brand' || (a % 5), 'Your code is ' || lpad((n % 1000000)::text, 6, '0'), 'gsm7',
    p, p * {cost}, 'EUR', s,
    CASE WHEN s IN ('undelivered', 'failed', 'rejected') THEN 'upstream' END,
    CASE WHEN n % 10 = 0 THEN 'ref-' || n END, NULL, t, NULL, t,
    CASE WHEN s = 'sent' AND (n / 100) % 4 = 0 THEN t + 3600 ELSE t + 172800 END,
    CASE WHEN s NOT IN ('queued', 'rejected') THEN t + 1 END,
    CASE WHEN s NOT IN ('queued', 'sent') THEN t + 5 END,
    CASE WHEN s = 'queued' THEN 0 ELSE 1 END, false, 'udh8'
FROM (
    SELECT n, t, 1 + floor({accounts} * power(random(), 3))::int AS a,
        CASE WHEN n % 20 = 0 THEN 2 ELSE 1 END AS p,
        CASE
            WHEN n > {rows} - {backlog} THEN 'queued'
            WHEN t > {now} - 2 * {day} AND n % 100 = 7 THEN 'sent'
            WHEN n % 100 < 90 THEN 'delivered'
            WHEN n % 100 < 95 THEN 'undelivered'
            WHEN n % 100 < 98 THEN 'failed'
            WHEN n % 100 < 99 THEN 'expired'
            ELSE 'rejected'
        END AS s
    FROM (
        SELECT n, {start} + (n - 0.5) * {span} / {rows} AS t
        FROM generate_series({first}::bigint, {last}::bigint) AS n
    ) AS times
) AS each
RETURNING id, status, error, done_at, parts, created_at
)
-- One part row for each part of every message handed to a connector.
INSERT INTO {schema}.parts (message_id, seq, status, upstream_id, connector, error, done_at
    {part_time_column})
SELECT m.id, seq, CASE WHEN m.status = 'sent' THEN 'sent'
        WHEN m.status = 'failed' THEN 'undelivered' ELSE m.status END,
    m.id || '-' || seq, {connectors}[1 + ascii(right(m.id, 1)) % 3], m.error, m.done_at
    {part_time_value}
FROM made AS m, generate_series(1, m.parts) AS seq
WHERE m.status NOT IN ('queued', 'rejected')
"""

_BATCHES = """
INSERT INTO {schema}.batches (id, account_id, reference, created_at)
SELECT 'b' || lpad(k::text, 10, '0'), 1, NULL, {start}
FROM generate_series(0, {last}::bigint / {batch_size}) AS k
"""


@dataclass
class Built:
    """How long each step of the build took, in seconds."""

    steps: dict[str, float] = field(default_factory=dict)

    def time(self, step: str, started: float) -> None:
        self.steps[step] = self.steps.get(step, 0.0) + time.perf_counter() - started


async def table_indexes(conn: asyncpg.Connection, schema: str, table: str) -> list[str]:
    """CREATE INDEX statements of `table`'s indexes other than its primary key."""
    rows = await conn.fetch(
        """SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2
           AND indexname NOT LIKE 'pk\\_%'""",
        schema,
        table,
    )
    return [str(r["indexdef"]) for r in rows]


async def fill(
    conn: asyncpg.Connection,
    schema: str,
    rows: int,
    backlog: int,
    built: Built,
    *,
    chunk: int = 1_000_000,
    part_time: bool = False,
) -> None:
    """Load `rows` messages (and their parts) into `schema`'s empty tables."""
    await conn.execute("SET session_replication_role = replica")  # no FK triggers while loading
    await conn.execute("SET synchronous_commit = off")
    started = time.perf_counter()
    await conn.execute(
        f"""INSERT INTO {schema}.accounts (id, name, own_balance, balance, currency, status,
                default_country, max_parts, created_at)
            SELECT k, 'account-' || k, true, 0, 'EUR', 'active', 'IT', 10, {START}
            FROM generate_series(1, {ACCOUNTS}) AS k
            ON CONFLICT DO NOTHING"""
    )
    await conn.execute(
        _BATCHES.format(schema=schema, start=START, last=rows, batch_size=BATCH_SIZE)
    )
    built.time("accounts and batches", started)
    await conn.execute("SELECT setseed(0.42)")
    span = DAYS * DAY
    connectors = "(ARRAY[" + ", ".join(f"'{c}'" for c in CONNECTORS) + "])"
    for first in range(1, rows + 1, chunk):
        last = min(rows, first + chunk - 1)
        started = time.perf_counter()
        await conn.execute(
            _MESSAGES.format(
                schema=schema,
                rows=rows,
                backlog=backlog,
                first=first,
                last=last,
                start=START,
                span=span,
                now=NOW,
                day=DAY,
                accounts=ACCOUNTS,
                batch_size=BATCH_SIZE,
                cost=COST,
                connectors=connectors,
                part_time_column=", created_at" if part_time else "",
                part_time_value=", m.created_at" if part_time else "",
            )
        )
        built.time("messages and parts", started)
