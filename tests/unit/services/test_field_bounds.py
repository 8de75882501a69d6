"""The services bound every stored string field they are given, whatever surface (native
API, dialect, SMPP, CLI) called them; the longest allowed value is accepted."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from smsgate.core.accounts import ID_MAX
from smsgate.core.errors import InvalidRequest, NotFound
from smsgate.services.accounts import AccountService
from smsgate.services.catalog import Catalog
from smsgate.services.clock import SystemClock, TimeOrderedIds
from smsgate.services.credentials import Authenticator
from smsgate.services.ports import Store
from smsgate.services.submit import (
    CALLBACK_URL_MAX,
    REFERENCE_MAX,
    TAG_MAX,
    SubmitCommand,
    SubmitService,
)
from smsgate.store import MemoryStore, open_store

COMMAND = SubmitCommand(to=("+393331234567",), sender="smsgate", text="hi")
URL = "https://example.com/"


async def _services(store: Store | None = None) -> tuple[AccountService, SubmitService]:
    store, clock = store or MemoryStore(), SystemClock()
    catalog = Catalog(store, clock)
    accounts = AccountService(store, catalog, Authenticator(store, clock), clock)
    await accounts.set_price(None, "*", 10_000)
    return accounts, SubmitService(store, catalog, clock, TimeOrderedIds())


@pytest.mark.parametrize(
    ("field", "longest"),
    [
        ("tag", "t" * TAG_MAX),
        ("reference", "r" * REFERENCE_MAX),
        ("callback_url", URL + "a" * (CALLBACK_URL_MAX - len(URL))),
    ],
)
async def test_a_field_one_character_over_its_maximum_is_refused(field: str, longest: str) -> None:
    accounts, submit = await _services()
    account = (await accounts.create("acme", credit=1_000_000)).account
    fits: dict[str, Any] = {field: longest}
    assert (await submit.quote(account, replace(COMMAND, **fits))).cost == 10_000
    over: dict[str, Any] = {field: longest + "x"}
    for call in (submit.quote, submit.submit):
        with pytest.raises(InvalidRequest) as caught:
            await call(account, replace(COMMAND, **over))
        assert caught.value.field == field
    assert (await accounts.balance(account))[0] == 1_000_000


@pytest.mark.parametrize(
    "url", ["httP://]x", "https://[::1", "http://example.com:99999/", "http://host:0/", "ftp://a/"]
)
async def test_a_callback_url_that_does_not_parse_is_refused(url: str) -> None:
    accounts, submit = await _services()
    account = (await accounts.create("acme", credit=1_000_000)).account
    for call in (submit.quote, submit.submit):
        with pytest.raises(InvalidRequest) as caught:
            await call(account, replace(COMMAND, callback_url=url))
        assert caught.value.field == "callback_url"
    assert (await accounts.balance(account))[0] == 1_000_000


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"currency": "EURO"}, "currency"),
        ({"currency": "€€€"}, "currency"),
        ({"default_country": "ITA"}, "default_country"),
        ({"default_country": "I1"}, "default_country"),
    ],
)
async def test_account_codes_are_bounded(options: dict[str, Any], field: str) -> None:
    accounts, _ = await _services()
    with pytest.raises(InvalidRequest) as caught:
        await accounts.create("acme", **options)
    assert caught.value.field == field
    assert await accounts.list_accounts() == []


@pytest.mark.parametrize("name", ["a" * 17, "", "bad name"])
async def test_account_names_are_bounded(name: str) -> None:
    accounts, _ = await _services()
    with pytest.raises(InvalidRequest):
        await accounts.create(name)
    assert await accounts.list_accounts() == []


@pytest.mark.parametrize("account_id", [0, -1, ID_MAX + 1, 2**64])
async def test_an_account_id_out_of_range_is_not_found(account_id: int, tmp_path: Path) -> None:
    # SQLite: its integers are 64-bit, and the driver refuses a larger one outright.
    store = await open_store(f"sqlite:///{tmp_path / 'smsgate.db'}")
    try:
        accounts, _ = await _services(store)
        parent = (await accounts.create("acme")).account
        with pytest.raises(NotFound):
            await accounts.subaccount(parent, account_id)
        with pytest.raises(NotFound):
            await accounts.get_by_id(account_id)
    finally:
        await store.close()
