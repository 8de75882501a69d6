"""Alembic environment: runs on the connection `migrator` hands over, never opens its own."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from smsgate.store.schema import metadata

connection: Connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
