"""Inbound numbers and keywords, the keyword that routed an MO, and the index that finds
the message an MO replies to.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_numbers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("default_account_id", sa.Integer(), nullable=True),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_inbound_numbers_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["default_account_id"],
            ["accounts.id"],
            name="fk_inbound_numbers_default_account_id_accounts",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_numbers"),
        sa.UniqueConstraint("number", name="uq_inbound_numbers_number"),
    )
    op.create_table(
        "inbound_keywords",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number_id", sa.Integer(), nullable=False),
        sa.Column("keyword", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["number_id"],
            ["inbound_numbers.id"],
            name="fk_inbound_keywords_number_id_inbound_numbers",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_inbound_keywords_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_keywords"),
        sa.UniqueConstraint("number_id", "keyword", name="uq_inbound_keywords_number_id_keyword"),
    )
    with op.batch_alter_table("inbound") as batch:
        batch.add_column(sa.Column("keyword", sa.Text(), nullable=True))
    op.create_index("ix_messages_to_created_at", "messages", ["to", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_to_created_at", "messages")
    with op.batch_alter_table("inbound") as batch:
        batch.drop_column("keyword")
    op.drop_table("inbound_keywords")
    op.drop_table("inbound_numbers")
