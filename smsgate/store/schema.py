"""The database schema of smsgate as SQLAlchemy Core tables, shared by SQLite and PostgreSQL.

Money columns are BigInteger micro-units, times are float seconds since the epoch.
Migrations (migrations/versions) must build exactly this; a test compares them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
)

# Stable constraint names, so that migrations can refer to them on both backends.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BIGINT ids on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the fast rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# The system default price list is owner 0: a NULL owner would defeat the unique key.
DEFAULT_PRICE_OWNER = 0

# The claim reads only these two statuses, and not what is held for an upstream; the
# partial index stays small.
_DUE_WHERE = text("status IN ('queued', 'scheduled') AND held_for IS NULL")
_HELD_WHERE = text("held_for IS NOT NULL")

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False, unique=True),
    Column("parent_id", Integer, ForeignKey("accounts.id"), nullable=True, index=True),
    Column("own_balance", Boolean, nullable=False),
    Column("balance", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("default_country", Text, nullable=False),
    Column("max_parts", Integer, nullable=False),
    Column("password_hash", Text, nullable=True),
    Column("created_at", Double, nullable=False),
    # SMPP binds: how many at once, from which addresses (comma list; NULL = any)
    Column("smpp_max_binds", Integer, nullable=False, server_default=text("10")),
    Column("allowed_ips", Text, nullable=True),
    # messages per second the account may submit; NULL = the system setting
    Column("throughput", Double, nullable=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("key_hash", Text, nullable=False, unique=True),
    Column("prefix", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("revoked_at", Double, nullable=True),
)

ledger = Table(
    "ledger",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("balance_after", BigInteger, nullable=False),
    Column("reference", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    Index("ix_ledger_account_id_id", "account_id", "id"),
)

prices = Table(
    "prices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # an account id, or DEFAULT_PRICE_OWNER for the system default (hence no foreign key)
    Column("owner_id", Integer, nullable=False),
    Column("prefix", Text, nullable=False),
    Column("price", BigInteger, nullable=False),
    UniqueConstraint("owner_id", "prefix"),
)

batches = Table(
    "batches",
    metadata,
    Column("id", Text, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("reference", Text, nullable=True),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("account_id", "reference"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Text, primary_key=True),
    Column("batch_id", Text, ForeignKey("batches.id"), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("payer_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("to", Text, nullable=False),
    Column("sender", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("encoding", Text, nullable=False),
    Column("parts", Integer, nullable=False),
    Column("cost", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("error", Text, nullable=True),
    Column("reference", Text, nullable=True),
    Column("callback_url", Text, nullable=True),
    Column("created_at", Double, nullable=False),
    Column("scheduled_at", Double, nullable=True),
    # when the message is next due: created_at, scheduled_at or the retry time
    Column("next_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False),
    Column("sent_at", Double, nullable=True),
    Column("done_at", Double, nullable=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("claimed_at", Double, nullable=True),
    # the node (services.nodes) whose claim made it `sending`
    Column("claimed_by", Text, nullable=True),
    # the customer asked for a receipt on its SMPP bind (registered_delivery)
    Column("registered_delivery", Boolean, nullable=False, server_default=text("false")),
    # free label given by the customer (SMS Partner `tag`), for grouping and statistics
    Column("tag", Text, nullable=True),
    # a customer's own concatenation header (hex) for one segment, forwarded as is
    Column("udh", Text, nullable=True),
    # how a message longer than one SMS is split (text.Concat), as priced and sent
    Column("concat", Text, nullable=False, server_default=text("'udh8'")),
    # the upstream a queued message waits for (no route to it has a bind): held out of
    # the due index until the bound upstreams or the routes change
    Column("held_for", Text, nullable=True),
    # where MO answering this message go, in SMS Partner's shape (its `urlResponse`)
    Column("reply_url", Text, nullable=True),
    # Ordered by due time, so a claim reads `limit` index entries even with a million
    # due rows behind them; (status, next_at) would make it sort every due row.
    Index(
        "ix_messages_due",
        "next_at",
        "id",
        postgresql_where=_DUE_WHERE,
        sqlite_where=_DUE_WHERE,
    ),
    Index("ix_messages_account_id_id", "account_id", "id"),
    Index("ix_messages_batch_id", "batch_id"),
    Index("ix_messages_status_expires_at", "status", "expires_at"),
    Index("ix_messages_held", "held_for", postgresql_where=_HELD_WHERE, sqlite_where=_HELD_WHERE),
    # an MO to no inbound number finds the message it answers by its recipient
    Index("ix_messages_to_created_at", "to", "created_at"),
)

parts = Table(
    "parts",
    metadata,
    Column("message_id", Text, ForeignKey("messages.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("upstream_id", Text, nullable=True),
    Column("connector", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("done_at", Double, nullable=True),
    PrimaryKeyConstraint("message_id", "seq"),
    Index("ix_parts_connector_upstream_id", "connector", "upstream_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("message_id", Text, ForeignKey("messages.id"), nullable=False),
    Column("url", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", Double, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_outbox_state_next_at", "state", "next_at"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("outbox_id", BigId, ForeignKey("outbox.id"), nullable=False, index=True),
    Column("at", Double, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
)

connectors = Table(
    "connectors",
    metadata,
    Column("name", Text, primary_key=True),
    Column("type", Text, nullable=False),
    # type-specific settings as a JSON object (host, port, system_id, window ...)
    Column("settings", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
)

routes = Table(
    "routes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("prefix", Text, nullable=False),
    Column("connector", Text, nullable=False),
    # NULL: the route serves every account
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("priority", Integer, nullable=False),
    Column("created_at", Double, nullable=False),
    Index("ix_routes_prefix", "prefix"),
)

inbound = Table(
    "inbound",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("connector", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("destination", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("encoding", Text, nullable=False),
    Column("parts", Integer, nullable=False),
    Column("received_at", Double, nullable=False),
    # the account it was routed to, NULL when nothing matched
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=True),
    # the keyword (folded) that routed it on a shared number
    Column("keyword", Text, nullable=True),
    # why the text is kept as the raw bytes' hex (encoding `binary`): `bad_coding` (an
    # unknown data_coding or bytes it does not decode), `bad_udh` (a broken header)
    Column("flag", Text, nullable=True),
    Index("ix_inbound_account_id_id", "account_id", "id"),
    # a conversation: the account's MO from one number
    Index("ix_inbound_account_id_source_id", "account_id", "source", "id"),
)

# The numbers MO arrive on (E.164 with '+', or a short code's digits): owned by an
# account, or shared (account_id NULL) and routed by keyword, else to the default account.
inbound_numbers = Table(
    "inbound_numbers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", Text, nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("default_account_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("webhook_url", Text, nullable=True),
    Column("created_at", Double, nullable=False),
    # the shape webhook_url takes MO in (services.inbound_plan.SHAPES); NULL: native
    Column("webhook_shape", Text, nullable=True),
    # micro-units debited from the receiving account per MO on this number
    Column("price", BigInteger, nullable=False, server_default=text("0")),
)

# An account's inbound settings: its default MO webhook (and the shape it takes), whether
# MO go to its SMPP binds, its own opt-out words and the replies confirming STOP/START.
inbound_settings = Table(
    "inbound_settings",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("webhook_url", Text, nullable=True),
    Column("webhook_shape", Text, nullable=True),
    Column("smpp", Boolean, nullable=False),
    # how a long MO reaches a bind: `udh` (one deliver_sm a part) or `payload` (one
    # deliver_sm, the whole text in message_payload)
    Column("smpp_long", Text, nullable=False, server_default=text("'udh'")),
    # folded words, separated by one space
    Column("opt_out", Text, nullable=False),
    Column("stop_reply", Text, nullable=True),
    Column("start_reply", Text, nullable=True),
    Column("updated_at", Double, nullable=False),
)

# MO waiting to be POSTed to a customer's webhook: written in the MO's transaction, sent
# in order per (account, source), retried with back-off like the receipts' outbox.
inbound_outbox = Table(
    "inbound_outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("inbound_id", BigId, ForeignKey("inbound.id"), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("source", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("shape", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", Double, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_inbound_outbox_state_next_at", "state", "next_at"),
    Index("ix_inbound_outbox_account_id_source_id", "account_id", "source", "id"),
)

# Keywords (folded: upper case, no accents) routing a shared number's MO to an account.
inbound_keywords = Table(
    "inbound_keywords",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number_id", Integer, ForeignKey("inbound_numbers.id"), nullable=False),
    Column("keyword", Text, nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("number_id", "keyword"),
)

# Parts of a concatenated MO waiting for the rest of their message: acknowledged to the
# operator, so kept until the message is whole (then stored in `inbound`) or stale.
inbound_parts = Table(
    "inbound_parts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("connector", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("destination", Text, nullable=False),
    Column("reference", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("received_at", Double, nullable=False),
    UniqueConstraint(
        "connector",
        "source",
        "destination",
        "reference",
        "total",
        "sequence",
        name="uq_inbound_parts_part",
    ),
    Index("ix_inbound_parts_received_at", "received_at"),
)

# Receipts and MO waiting for a customer's SMPP receiver bind; handed over on deliver_sm_resp.
smpp_outbox = Table(
    "smpp_outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("message_id", Text, ForeignKey("messages.id"), nullable=True),
    Column("inbound_id", BigId, ForeignKey("inbound.id"), nullable=True),
    Column("state", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("delivered_at", Double, nullable=True),
    Index("ix_smpp_outbox_account_id_state_id", "account_id", "state", "id"),
)

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
