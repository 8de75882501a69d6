"""The STOP list behind the SMS Partner endpoints, on memory, SQLite and PostgreSQL.

The same StopListStore contract on every backend, and SubmitService refusing a
STOP-listed recipient before anything is stored or charged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smsgate.core.errors import NotFound, StopListed
from smsgate.services.accounts import AccountService
from smsgate.services.catalog import Catalog
from smsgate.services.clock import SystemClock, TimeOrderedIds
from smsgate.services.credentials import Authenticator
from smsgate.services.ports import MessageQuery, Store
from smsgate.services.stoplist import StopListService, StopListStore
from smsgate.services.submit import SubmitCommand, SubmitService
from tests.integration.backends import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with fresh_database(str(request.param), tmp_path, request) as db:
        yield await db.open()


async def test_entries_are_per_account_and_idempotent(store: Store) -> None:
    assert isinstance(store, StopListStore)
    clock = SystemClock()
    accounts = AccountService(store, Catalog(store, clock), Authenticator(store, clock), clock)
    alice = (await accounts.create("alice", default_country="FR")).account
    eve = (await accounts.create("eve", default_country="IT")).account
    stops = StopListService(store, clock)

    first = await stops.add(alice, "06 12 34 56 78")
    again = await stops.add(alice, "+33612345678")
    assert first == again and first.number == "+33612345678"
    await stops.add(alice, "0698765432")
    await stops.add(eve, "+33612345678")

    assert [e.number for e in await stops.entries(alice)] == ["+33612345678", "+33698765432"]
    assert await stops.blocked(alice.id, ["+33612345678", "+33600000000"]) == {"+33612345678"}
    assert await stops.blocked(alice.id, []) == set()

    await stops.remove(alice, "+33612345678")
    assert [e.number for e in await stops.entries(alice)] == ["+33698765432"]
    assert [e.number for e in await stops.entries(eve)] == ["+33612345678"]
    with pytest.raises(NotFound):
        await stops.remove(alice, "+33612345678")


async def test_submit_refuses_a_stop_listed_recipient(store: Store) -> None:
    assert isinstance(store, StopListStore)
    clock = SystemClock()
    catalog = Catalog(store, clock)
    accounts = AccountService(store, catalog, Authenticator(store, clock), clock)
    await accounts.set_price(None, "*", 50_000)
    alice = (await accounts.create("alice", credit=1_000_000, default_country="FR")).account
    stops = StopListService(store, clock)
    submit = SubmitService(store, catalog, clock, TimeOrderedIds(), stop_list=stops)
    await stops.add(alice, "+33612345678")
    command = SubmitCommand(to=("0698765432", "0612345678"), sender="Shop", text="x")

    with pytest.raises(StopListed) as refused:
        await submit.submit(alice, command)
    assert refused.value.field == "to" and "+33612345678" in refused.value.message
    with pytest.raises(StopListed):
        await submit.quote(alice, command)
    stored = await store.messages(alice.id, MessageQuery(limit=10))
    assert stored == [] and (await accounts.get("alice")).balance == 1_000_000

    await stops.remove(alice, "0612345678")
    accepted = await submit.submit(alice, command)
    assert len(accepted.messages) == 2
