"""Catalog: cached account chains and price lists, one store read per miss."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from smsgate.core.accounts import Account
from smsgate.core.errors import NotFound
from smsgate.core.ledger import EntryKind
from smsgate.core.pricing import PriceList
from smsgate.services.catalog import Catalog
from smsgate.services.ports import AccountToCreate
from smsgate.store.memory import MemoryStore


class Clock:
    def __init__(self) -> None:
        self.at = 1_700_000_000.0

    def now(self) -> float:
        return self.at


class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.chain_reads = 0
        self.price_reads = 0

    async def chain(self, account_id: int) -> list[Account]:
        self.chain_reads += 1
        await asyncio.sleep(0.01)  # a read that takes a while: callers pile up meanwhile
        return await super().chain(account_id)

    async def price_lists(self, owner_ids: Sequence[int | None]) -> list[PriceList]:
        self.price_reads += 1
        await asyncio.sleep(0.01)
        return await super().price_lists(owner_ids)


async def test_callers_that_miss_together_share_one_read_until_the_ttl_ends() -> None:
    store, clock = CountingStore(), Clock()
    account = await store.create_account(
        AccountToCreate("acme", None, True, "EUR", "IT", 10, None, clock.at)
    )
    await store.move_credit(movements=[(account.id, EntryKind.TOPUP, 5)], reference="t", now=1)
    catalog = Catalog(store, clock, ttl=2.0)

    chains = await asyncio.gather(*(catalog.chain(account.id) for _ in range(50)))
    assert store.chain_reads == 1
    assert all(c[0].id == account.id for c in chains)
    await asyncio.gather(*(catalog.price_lists(chains[0]) for _ in range(50)))
    assert store.price_reads == 1

    clock.at += 1.9
    await catalog.chain(account.id)
    assert store.chain_reads == 1
    clock.at += 0.2
    await asyncio.gather(*(catalog.chain(account.id) for _ in range(10)))
    assert store.chain_reads == 2


async def test_an_unknown_account_is_not_found_for_every_caller() -> None:
    catalog = Catalog(CountingStore(), Clock())
    results = await asyncio.gather(*(catalog.chain(404) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, NotFound) for r in results)
    with pytest.raises(NotFound):
        await catalog.chain(404)
