"""Alembic migrations of the store schema; run by `smsgate.store.migrator`, never by hand."""
