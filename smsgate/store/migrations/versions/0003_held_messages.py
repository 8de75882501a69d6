"""Messages held for an upstream without a bind: `held_for`, out of the due index.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD_DUE = sa.text("status IN ('queued', 'scheduled')")
DUE = sa.text("status IN ('queued', 'scheduled') AND held_for IS NULL")
HELD = sa.text("held_for IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("held_for", sa.Text(), nullable=True))
    op.drop_index("ix_messages_due", "messages")
    op.create_index(
        "ix_messages_due", "messages", ["next_at", "id"], postgresql_where=DUE, sqlite_where=DUE
    )
    op.create_index(
        "ix_messages_held", "messages", ["held_for"], postgresql_where=HELD, sqlite_where=HELD
    )


def downgrade() -> None:
    op.drop_index("ix_messages_held", "messages")
    op.drop_index("ix_messages_due", "messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("held_for")
    op.create_index(
        "ix_messages_due",
        "messages",
        ["next_at", "id"],
        postgresql_where=OLD_DUE,
        sqlite_where=OLD_DUE,
    )
