"""The indexes of the portal's message list: newest first within one status, sender,
client reference or creation period of an account.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

HAS_REFERENCE = sa.text("reference IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_messages_account_id_status_id", "messages", ["account_id", "status", "id"])
    op.create_index("ix_messages_account_id_sender_id", "messages", ["account_id", "sender", "id"])
    op.create_index(
        "ix_messages_account_id_reference_id",
        "messages",
        ["account_id", "reference", "id"],
        postgresql_where=HAS_REFERENCE,
        sqlite_where=HAS_REFERENCE,
    )
    op.create_index(
        "ix_messages_account_id_created_at_id", "messages", ["account_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_messages_account_id_created_at_id", "messages")
    op.drop_index("ix_messages_account_id_reference_id", "messages")
    op.drop_index("ix_messages_account_id_sender_id", "messages")
    op.drop_index("ix_messages_account_id_status_id", "messages")
