"""The database schema of smsgate as SQLAlchemy Core tables, shared by SQLite and PostgreSQL:
`metadata` and the message path here, two-way SMS in schema_inbound.py, the rest in
schema_platform.py (importing `smsgate.store` registers all three). Money columns are
BigInteger micro-units, times float seconds since the epoch. Migrations
(migrations/versions) must build exactly this; a test compares them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
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
_HAS_REFERENCE = text("reference IS NOT NULL")

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
    # The portal's list, newest first (id) within a status, sender, reference or period:
    # its page reads the ids from one of these without sorting or reading the rows.
    Index("ix_messages_account_id_status_id", "account_id", "status", "id"),
    Index("ix_messages_account_id_sender_id", "account_id", "sender", "id"),
    Index(
        "ix_messages_account_id_reference_id",
        "account_id",
        "reference",
        "id",
        postgresql_where=_HAS_REFERENCE,
        sqlite_where=_HAS_REFERENCE,
    ),
    Index("ix_messages_account_id_created_at_id", "account_id", "created_at", "id"),
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

# A message's final status waiting to be POSTed to its callback_url. In this table and in
# inbound_outbox and smpp_outbox, a row being sent is claimed by one node (`claimed_by`)
# until `claimed_until` on the database's clock, or until that node's lease runs out.
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
    Column("claimed_by", Text, nullable=True),
    Column("claimed_until", Double, nullable=True),
    Index("ix_outbox_state_next_at", "state", "next_at"),
    # retention's check that no webhook waits, and the foreign key's when it deletes
    Index("ix_outbox_message_id", "message_id"),
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
