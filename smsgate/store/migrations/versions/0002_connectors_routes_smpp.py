"""Connectors, routes, inbound SMS, the SMPP outbox, STOP list and sender ids.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("smpp_max_binds", sa.Integer(), server_default=sa.text("10"), nullable=False)
        )
        batch.add_column(sa.Column("allowed_ips", sa.Text(), nullable=True))
        batch.add_column(sa.Column("throughput", sa.Double(), nullable=True))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(
            sa.Column(
                "registered_delivery", sa.Boolean(), server_default=sa.text("false"), nullable=False
            )
        )
        batch.add_column(sa.Column("tag", sa.Text(), nullable=True))
        batch.add_column(sa.Column("udh", sa.Text(), nullable=True))
    op.create_table(
        "connectors",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_connectors"),
    )
    op.create_table(
        "routes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("connector", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_routes"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_routes_account_id_accounts"
        ),
    )
    op.create_index("ix_routes_prefix", "routes", ["prefix"])
    op.create_table(
        "inbound",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("connector", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("encoding", sa.Text(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.Double(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbound"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_inbound_account_id_accounts"
        ),
    )
    op.create_index("ix_inbound_account_id_id", "inbound", ["account_id", "id"])
    op.create_table(
        "smpp_outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=True),
        sa.Column("inbound_id", BigId, nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("delivered_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_smpp_outbox"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_smpp_outbox_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_smpp_outbox_message_id_messages"
        ),
        sa.ForeignKeyConstraint(
            ["inbound_id"], ["inbound.id"], name="fk_smpp_outbox_inbound_id_inbound"
        ),
    )
    op.create_index(
        "ix_smpp_outbox_account_id_state_id", "smpp_outbox", ["account_id", "state", "id"]
    )
    op.create_table(
        "stop_list",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "number", name="pk_stop_list"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_stop_list_account_id_accounts"
        ),
    )
    op.create_table(
        "senders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_senders"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_senders_account_id_accounts"
        ),
        sa.UniqueConstraint("account_id", "sender", name="uq_senders_account_id_sender"),
    )


def downgrade() -> None:
    for table in ("senders", "stop_list", "smpp_outbox", "inbound", "routes", "connectors"):
        op.drop_table(table)
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("udh")
        batch.drop_column("tag")
        batch.drop_column("registered_delivery")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("throughput")
        batch.drop_column("allowed_ips")
        batch.drop_column("smpp_max_binds")
