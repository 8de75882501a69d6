"""Sender ids on every store backend, through SendersService."""

from __future__ import annotations

import pytest

from smsgate.core.errors import Conflict, InvalidSender, NotFound
from smsgate.services.clock import SystemClock
from smsgate.services.ports import Store
from smsgate.services.senders import SendersService
from smsgate.store import MemoryStore, SqlStore
from tests.integration.store.scenario import funded


def service(store: Store) -> SendersService:
    assert isinstance(store, MemoryStore | SqlStore)
    return SendersService(store, SystemClock())


async def test_add_list_delete(store: Store) -> None:
    alice = await funded(store, "alice")
    bob = await funded(store, "bob")
    senders = service(store)

    acme = await senders.add(alice, "ACME")
    shop = await senders.add(alice, "Shop")
    await senders.add(bob, "ACME")

    assert [(s.sender, s.status) for s in await senders.list(alice)] == [
        ("ACME", "active"),
        ("Shop", "active"),
    ]
    assert (await senders.delete(alice, sender="ACME")).id == acme.id
    assert (await senders.delete(alice, sender_id=shop.id)).sender == "Shop"
    assert await senders.list(alice) == []
    assert [s.sender for s in await senders.list(bob)] == ["ACME"]


async def test_refusals_change_nothing(store: Store) -> None:
    alice = await funded(store, "alice")
    bob = await funded(store, "bob")
    senders = service(store)
    await senders.add(alice, "ACME")
    theirs = await senders.add(bob, "Theirs")

    with pytest.raises(Conflict):
        await senders.add(alice, "ACME")
    with pytest.raises(InvalidSender):
        await senders.add(alice, "a sender far too long")
    with pytest.raises(NotFound):
        await senders.delete(alice, sender_id=theirs.id)
    with pytest.raises(NotFound):
        await senders.delete(alice, sender="Nobody")

    assert [s.sender for s in await senders.list(alice)] == ["ACME"]
    assert [s.sender for s in await senders.list(bob)] == ["Theirs"]
