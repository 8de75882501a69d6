"""Limits shared by the nodes: customer SMPP binds with leases, messages accepted per
account and second, and the signals the processes of one SQLite file poll for.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "signals",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signals"),
    )
    op.create_table(
        "smpp_binds",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Text(), nullable=False),
        sa.Column("lease_until", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_smpp_binds_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_smpp_binds"),
    )
    op.create_index("ix_smpp_binds_account_id", "smpp_binds", ["account_id"])
    op.create_index("ix_smpp_binds_node_id", "smpp_binds", ["node_id"])
    op.create_table(
        "send_counts",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.Text(), nullable=False),
        sa.Column("second", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "holder", "second", name="pk_send_counts"),
    )
    op.create_index("ix_send_counts_second", "send_counts", ["second"])


def downgrade() -> None:
    op.drop_index("ix_send_counts_second", table_name="send_counts")
    op.drop_table("send_counts")
    op.drop_index("ix_smpp_binds_node_id", table_name="smpp_binds")
    op.drop_index("ix_smpp_binds_account_id", table_name="smpp_binds")
    op.drop_table("smpp_binds")
    op.drop_table("signals")
