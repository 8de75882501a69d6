"""A short-lived cache of what every submission reads: account chains and price lists.

Entries live for `ttl` seconds, so another process's change is seen within that time;
money is never read from here (the store checks the balance inside the accepting
transaction). Callers that miss the same entry at once share one read of the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, TypeVar

from smsgate.core.accounts import Account
from smsgate.core.errors import NotFound
from smsgate.core.pricing import PriceList
from smsgate.services.changes import ACCOUNTS, PRICES, Changes
from smsgate.services.ports import Clock, Store

K = TypeVar("K")
V = TypeVar("V")


@dataclass(eq=False, slots=True)
class Catalog:
    store: Store
    clock: Clock
    _: KW_ONLY
    ttl: float = 2.0
    _chains: dict[int, tuple[float, list[Account]]] = field(init=False, default_factory=dict)
    _prices: dict[tuple[int | None, ...], tuple[float, list[PriceList]]] = field(
        init=False, default_factory=dict
    )
    _loading: dict[Hashable, asyncio.Future[Any]] = field(init=False, default_factory=dict)

    async def chain(self, account_id: int) -> list[Account]:
        """The account and its ancestors, nearest first."""
        hit = self._chains.get(account_id)
        if hit is not None and hit[0] > self.clock.now():
            return hit[1]
        chain = await self._once(("chain", account_id), self._load_chain, account_id)
        if not chain:
            raise NotFound(f"account {account_id} does not exist")
        return chain

    async def price_lists(self, chain: list[Account]) -> list[PriceList]:
        """The lists that price messages of chain[0]: its own, its ancestors', the default."""
        owners: tuple[int | None, ...] = (*(a.id for a in chain), None)
        hit = self._prices.get(owners)
        if hit is not None and hit[0] > self.clock.now():
            return hit[1]
        return await self._once(("prices", owners), self._load_prices, owners)

    async def _load_chain(self, account_id: int) -> list[Account]:
        chain = await self.store.chain(account_id)
        if chain:
            self._chains[account_id] = (self.clock.now() + self.ttl, chain)
        return chain

    async def _load_prices(self, owners: tuple[int | None, ...]) -> list[PriceList]:
        lists = await self.store.price_lists(owners)
        self._prices[owners] = (self.clock.now() + self.ttl, lists)
        return lists

    async def _once(self, key: Hashable, load: Callable[[K], Awaitable[V]], arg: K) -> V:
        """`load(arg)`, shared by every caller that asks for `key` while it runs."""
        running = self._loading.get(key)
        if running is None:
            running = asyncio.ensure_future(load(arg))
            self._loading[key] = running
            running.add_done_callback(lambda _: self._loading.pop(key, None))
        result: V = await asyncio.shield(running)
        return result

    def forget(self, _key: str = "") -> None:
        self._chains.clear()
        self._prices.clear()

    def follow(self, changes: Changes) -> None:
        """Drop everything when an account or a price list changes anywhere (a chain
        holds the ancestors, so one account's change may touch many chains)."""
        changes.on(ACCOUNTS, self.forget)
        changes.on(PRICES, self.forget)
