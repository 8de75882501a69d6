"""The statistics aggregates that retention adds deleted messages and MO to, and the
indexes that let it (and the foreign keys) find the outbox rows of a message or an MO.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXED = (
    ("outbox", "message_id"),
    ("smpp_outbox", "message_id"),
    ("smpp_outbox", "inbound_id"),
    ("inbound_outbox", "inbound_id"),
)


def upgrade() -> None:
    op.create_table(
        "message_aggregates",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("connector", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("parts", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_message_aggregates_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "bucket", "connector", "status", "currency", name="pk_message_aggregates"
        ),
    )
    op.create_table(
        "inbound_aggregates",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_inbound_aggregates_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("account_id", "bucket", name="pk_inbound_aggregates"),
    )
    for table, column in INDEXED:
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, column in INDEXED:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
    op.drop_table("inbound_aggregates")
    op.drop_table("message_aggregates")
