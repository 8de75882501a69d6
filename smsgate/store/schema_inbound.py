"""The tables of two-way SMS: MO and their parts, inbound numbers and keywords, each
account's inbound settings, and the outboxes to customers' webhooks and SMPP binds
(one schema with store/schema.py, on its `metadata`)."""

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
    Table,
    Text,
    UniqueConstraint,
    text,
)

from smsgate.store.schema import BigId, metadata

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
    Column("claimed_by", Text, nullable=True),
    Column("claimed_until", Double, nullable=True),
    Index("ix_inbound_outbox_state_next_at", "state", "next_at"),
    Index("ix_inbound_outbox_account_id_source_id", "account_id", "source", "id"),
    Index("ix_inbound_outbox_inbound_id", "inbound_id"),
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
    Column("claimed_by", Text, nullable=True),
    Column("claimed_until", Double, nullable=True),
    Index("ix_smpp_outbox_account_id_state_id", "account_id", "state", "id"),
    Index("ix_smpp_outbox_message_id", "message_id"),
    Index("ix_smpp_outbox_inbound_id", "inbound_id"),
)
