"""Message totals per account, UTC hour (and UTC day), destination country, status and
currency, and the watermark of the hours counted.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_hours",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("country", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("parts", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_message_hours_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "hour", "country", "status", "currency", name="pk_message_hours"
        ),
    )
    op.create_index("ix_message_hours_status_hour", "message_hours", ["status", "hour"])
    op.create_index("ix_message_hours_hour", "message_hours", ["hour"])
    op.create_table(
        "message_days",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.BigInteger(), nullable=False),
        sa.Column("country", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("parts", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_message_days_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "day", "country", "status", "currency", name="pk_message_days"
        ),
    )
    state = op.create_table(
        "message_hours_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("watermark", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_message_hours_state"),
    )
    op.bulk_insert(state, [{"id": 1, "watermark": None}])


def downgrade() -> None:
    op.drop_table("message_hours_state")
    op.drop_table("message_days")
    op.drop_index("ix_message_hours_hour", table_name="message_hours")
    op.drop_index("ix_message_hours_status_hour", table_name="message_hours")
    op.drop_table("message_hours")
