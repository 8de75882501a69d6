"""Parts of concatenated MO kept until their message is whole: `inbound_parts`.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "inbound_parts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("connector", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("reference", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_parts"),
        sa.UniqueConstraint(
            "connector",
            "source",
            "destination",
            "reference",
            "total",
            "sequence",
            name="uq_inbound_parts_part",
        ),
    )
    op.create_index("ix_inbound_parts_received_at", "inbound_parts", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_inbound_parts_received_at", "inbound_parts")
    op.drop_table("inbound_parts")
