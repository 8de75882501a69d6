"""Bind slots of connectors held by nodes, and the nodes that bind connectors.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connector_slots",
        sa.Column("connector", sa.Text(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Text(), nullable=True),
        sa.Column("lease_until", sa.Double(), nullable=False),
        sa.Column("bound", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("connector", "slot", name="pk_connector_slots"),
    )
    op.create_table(
        "bind_nodes",
        sa.Column("node_id", sa.Text(), nullable=False),
        sa.Column("lease_until", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("node_id", name="pk_bind_nodes"),
    )


def downgrade() -> None:
    op.drop_table("bind_nodes")
    op.drop_table("connector_slots")
