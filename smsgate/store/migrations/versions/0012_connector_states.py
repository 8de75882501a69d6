"""The live state of the connectors, published by the nodes that run them.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connector_states",
        sa.Column("node_id", sa.Text(), nullable=False),
        sa.Column("connector", sa.Text(), nullable=False),
        sa.Column("binds_up", sa.Integer(), nullable=False),
        sa.Column("binds", sa.Integer(), nullable=False),
        sa.Column("window_used", sa.Integer(), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("rate", sa.Double(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("node_id", "connector", name="pk_connector_states"),
    )


def downgrade() -> None:
    op.drop_table("connector_states")
