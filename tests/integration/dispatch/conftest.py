"""The dispatcher's tests run on every store backend (tests.integration.backends)."""

from tests.integration.backends import backend, database, sql_database, store

__all__ = ["backend", "database", "sql_database", "store"]
