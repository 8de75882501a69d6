"""Delivery of MO: the MO webhook outbox, accounts' inbound settings, a number's webhook
shape and MO price, the flag of a raw MO, a send's reply URL, a conversation's index.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("inbound_numbers") as batch:
        batch.add_column(sa.Column("webhook_shape", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("price", sa.BigInteger(), nullable=False, server_default=sa.text("0"))
        )
    with op.batch_alter_table("inbound") as batch:
        batch.add_column(sa.Column("flag", sa.Text(), nullable=True))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("reply_url", sa.Text(), nullable=True))
    op.create_index("ix_inbound_account_id_source_id", "inbound", ["account_id", "source", "id"])
    op.create_table(
        "inbound_settings",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("webhook_shape", sa.Text(), nullable=True),
        sa.Column("smpp", sa.Boolean(), nullable=False),
        sa.Column("smpp_long", sa.Text(), nullable=False, server_default=sa.text("'udh'")),
        sa.Column("opt_out", sa.Text(), nullable=False),
        sa.Column("stop_reply", sa.Text(), nullable=True),
        sa.Column("start_reply", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_inbound_settings_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_inbound_settings"),
    )
    op.create_table(
        "inbound_outbox",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("inbound_id", _BIG_ID, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("shape", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.Double(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["inbound_id"], ["inbound.id"], name="fk_inbound_outbox_inbound_id_inbound"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_inbound_outbox_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_outbox"),
    )
    op.create_index("ix_inbound_outbox_state_next_at", "inbound_outbox", ["state", "next_at"])
    op.create_index(
        "ix_inbound_outbox_account_id_source_id",
        "inbound_outbox",
        ["account_id", "source", "id"],
    )


def downgrade() -> None:
    op.drop_table("inbound_outbox")
    op.drop_table("inbound_settings")
    op.drop_index("ix_inbound_account_id_source_id", "inbound")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("reply_url")
    with op.batch_alter_table("inbound") as batch:
        batch.drop_column("flag")
    with op.batch_alter_table("inbound_numbers") as batch:
        batch.drop_column("price")
        batch.drop_column("webhook_shape")
