"""The concatenation method each message is priced on and sent as: `messages.concat`.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(
            sa.Column("concat", sa.Text(), nullable=False, server_default=sa.text("'udh8'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("concat")
