"""A clock the test moves, ids in creation order, and an account's ledger oldest first."""

from __future__ import annotations

import itertools

from smsgate.core.accounts import Account
from smsgate.core.ledger import LedgerEntry
from smsgate.services.ports import Store
from tests.integration.store.scenario import NOW


class FixedClock:
    """Stands still at `at` until the test moves it."""

    def __init__(self, at: float = NOW) -> None:
        self.at = at

    def now(self) -> float:
        return self.at


class SequentialIds:
    """25-character ids that sort in the order they were made, like TimeOrderedIds."""

    def __init__(self) -> None:
        self._next = itertools.count(1)

    def new_id(self) -> str:
        return f"{next(self._next):025x}"


async def ledger(store: Store, of: Account) -> list[LedgerEntry]:
    """The account's entries, oldest first."""
    return list(reversed(await store.ledger(of.id, limit=1_000, before_id=None)))
