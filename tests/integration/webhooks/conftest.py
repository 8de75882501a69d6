"""The webhook sender's tests run on every store backend (tests.integration.backends)."""

from tests.integration.backends import backend, database, store

__all__ = ["backend", "database", "store"]
