"""A short-lived cache of what every submission reads: account chains and price lists.

Both change rarely and are read on every request. Entries live for `ttl` seconds, so
a change made by another process is seen within that time; money is never read from
here (the store checks the balance inside the accepting transaction).
"""

from __future__ import annotations

from smsgate.core.accounts import Account
from smsgate.core.errors import NotFound
from smsgate.core.pricing import PriceList
from smsgate.services.ports import Clock, Store


class Catalog:
    def __init__(self, store: Store, clock: Clock, *, ttl: float = 2.0) -> None:
        self._store = store
        self._clock = clock
        self._ttl = ttl
        self._chains: dict[int, tuple[float, list[Account]]] = {}
        self._prices: dict[tuple[int | None, ...], tuple[float, list[PriceList]]] = {}

    async def chain(self, account_id: int) -> list[Account]:
        """The account and its ancestors, nearest first."""
        now = self._clock.now()
        hit = self._chains.get(account_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        chain = await self._store.chain(account_id)
        if not chain:
            raise NotFound(f"account {account_id} does not exist")
        self._chains[account_id] = (now + self._ttl, chain)
        return chain

    async def price_lists(self, chain: list[Account]) -> list[PriceList]:
        """The lists that price messages of chain[0]: its own, its ancestors', the default."""
        owners: tuple[int | None, ...] = (*(a.id for a in chain), None)
        now = self._clock.now()
        hit = self._prices.get(owners)
        if hit is not None and hit[0] > now:
            return hit[1]
        lists = await self._store.price_lists(owners)
        self._prices[owners] = (now + self._ttl, lists)
        return lists

    def forget(self) -> None:
        self._chains.clear()
        self._prices.clear()
