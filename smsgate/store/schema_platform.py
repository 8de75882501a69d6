"""The tables around the message path: gateway nodes and what they share (signals, bind
leases, send counts, connector states), STOP lists, sender ids, failed logins, the
console's admins and audit log, and the statistics aggregates retention keeps (one
schema with store/schema.py, on its `metadata`)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)

from smsgate.store.schema import BigId, metadata

# The gateway nodes holding claims, each with a lease on the database's clock that its
# heartbeat renews (services.nodes).
nodes = Table(
    "nodes",
    metadata,
    Column("id", Text, primary_key=True),
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", Double, nullable=False),
    Column("lease_until", Double, nullable=False),
)

stop_list = Table(
    "stop_list",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("number", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    PrimaryKeyConstraint("account_id", "number"),
)

senders = Table(
    "senders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("sender", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("account_id", "sender"),
)

# Failed logins, one row per subject ('a:<address>' or 'n:<account name>'), shared by
# every process: the count within the current window and the end of a block.
login_failures = Table(
    "login_failures",
    metadata,
    Column("subject", Text, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("window_start", Double, nullable=False),
    Column("blocked_until", Double, nullable=False),
    PrimaryKeyConstraint("subject"),
    Index("ix_login_failures_blocked_until", "blocked_until"),
)

# Admin users of the operator console (created from the command line) and the log of
# every change they made; an entry names its admin, so it outlives the admin's row.
admins = Table(
    "admins",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", Double, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("admin", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("created_at", Double, nullable=False),
)

# What retention (services.retention) deleted, added up first: messages per account, UTC
# quarter-hour (`bucket`, its start in epoch seconds), connector ('' for none), status
# and currency; MO per account and quarter-hour. Reports add them to the live rows.
message_aggregates = Table(
    "message_aggregates",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("bucket", BigInteger, nullable=False),
    Column("connector", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("messages", BigInteger, nullable=False),
    Column("parts", BigInteger, nullable=False),
    Column("cost", BigInteger, nullable=False),
    PrimaryKeyConstraint("account_id", "bucket", "connector", "status", "currency"),
)

inbound_aggregates = Table(
    "inbound_aggregates",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("bucket", BigInteger, nullable=False),
    Column("messages", BigInteger, nullable=False),
    PrimaryKeyConstraint("account_id", "bucket"),
)

# The messages of each account per UTC hour (`hour`, its start in epoch seconds),
# destination country ('ZZ' for none), status and currency, counted by a periodic job
# (services.hourly_totals) for the hours before `message_hours_state.watermark`; retention
# takes out what it deletes. Reports add the live rows after the watermark.
message_hours = Table(
    "message_hours",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("hour", BigInteger, nullable=False),
    Column("country", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("messages", BigInteger, nullable=False),
    Column("parts", BigInteger, nullable=False),
    Column("cost", BigInteger, nullable=False),
    PrimaryKeyConstraint("account_id", "hour", "country", "status", "currency"),
    # the hours the job counts again: those holding a message that can still change
    Index("ix_message_hours_status_hour", "status", "hour"),
    Index("ix_message_hours_hour", "hour"),  # a day's hours, added up into message_days
)

# The same totals per UTC day (`day`, its start), added up from `message_hours` by the
# job for each day whose hours it counted: reports read whole days before the watermark's.
message_days = Table(
    "message_days",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("day", BigInteger, nullable=False),
    Column("country", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("messages", BigInteger, nullable=False),
    Column("parts", BigInteger, nullable=False),
    Column("cost", BigInteger, nullable=False),
    PrimaryKeyConstraint("account_id", "day", "country", "status", "currency"),
)

# One row (id 1): the end of the hours `message_hours` holds (NULL: none yet). The job
# and retention lock it, so they never run beside each other.
message_hours_state = Table(
    "message_hours_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("watermark", BigInteger, nullable=True),
)

# The live state of each running connector on each node, published every couple of
# seconds by the process that runs it (services.connector_state); `errors` is a JSON list
# of [time, text].
connector_states = Table(
    "connector_states",
    metadata,
    Column("node_id", Text, nullable=False),
    Column("connector", Text, nullable=False),
    Column("binds_up", Integer, nullable=False),
    Column("binds", Integer, nullable=False),
    Column("window_used", Integer, nullable=False),
    Column("window", Integer, nullable=False),
    Column("rate", Double, nullable=False),
    Column("errors", Text, nullable=False),
    Column("updated_at", Double, nullable=False),
    PrimaryKeyConstraint("node_id", "connector"),
)

# Signals between the processes of one SQLite file (services.nodes): each listener polls
# for rows newer than the last it saw; PostgreSQL uses NOTIFY instead.
signals = Table(
    "signals",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("channel", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", Double, nullable=False),
)

# Customer SMPP binds of every node, each with a lease on the database's clock that its
# node renews (services.smpp_customers): the account's bind limit counts the live ones.
smpp_binds = Table(
    "smpp_binds",
    metadata,
    Column("id", Text, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("node_id", Text, nullable=False),
    Column("lease_until", Double, nullable=False),
    Index("ix_smpp_binds_account_id", "account_id"),
    Index("ix_smpp_binds_node_id", "node_id"),
)

# Messages each process accepted per account and second (services.throttle): every
# process adds what the others spent to its own buckets.
send_counts = Table(
    "send_counts",
    metadata,
    Column("account_id", Integer, nullable=False),
    Column("holder", Text, nullable=False),
    Column("second", Integer, nullable=False),
    Column("count", Integer, nullable=False),
    PrimaryKeyConstraint("account_id", "holder", "second"),
    Index("ix_send_counts_second", "second"),
)

# Bind slots: slot k of a connector is one of its binds (`--binds N`: slots 0..N-1),
# held by at most one node at a time, for a lease on the database's clock.
connector_slots = Table(
    "connector_slots",
    metadata,
    Column("connector", Text, nullable=False),
    Column("slot", Integer, nullable=False),
    Column("node_id", Text, nullable=True),
    Column("lease_until", Double, nullable=False),
    Column("bound", Boolean, nullable=False),
    PrimaryKeyConstraint("connector", "slot"),
)

# The nodes that bind connectors (those that dispatch), each with a lease.
bind_nodes = Table(
    "bind_nodes",
    metadata,
    Column("node_id", Text, primary_key=True),
    Column("lease_until", Double, nullable=False),
)
