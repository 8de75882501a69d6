"""What storing a routed MO does, on every store backend: its number's price is debited
from the account that pays for it with a ledger entry (below zero when it must); and the
numbers' delivery settings and accounts' inbound settings are stored as checked."""

from __future__ import annotations

import pytest

from smsgate.core.errors import InvalidRequest, NotFound
from smsgate.core.ledger import EntryKind
from smsgate.services.inbound_plan import (
    InboundSettings,
    InboundSettingsService,
    InboundSettingsStore,
)
from smsgate.services.ports import Store
from tests.integration.store.scenario import balance, funded
from tests.integration.store.test_numbers_contract import Clock, services


async def ledger_sums(store: Store) -> dict[str, tuple[int, int]]:
    """(balance, sum of its ledger) of every account, by name."""
    sums = {}
    for account in await store.accounts():
        entries = await store.ledger(account.id, limit=10_000, before_id=None)
        sums[account.name] = (account.balance, sum(e.amount for e in entries))
    return sums


async def test_mo_charges_debit_the_payer_with_a_ledger_entry_even_below_zero(
    store: Store,
) -> None:
    alice = await funded(store, "alice", 1_000)
    kid = await funded(store, "kid", parent=alice, own_balance=False)
    bob = await funded(store, "bob")
    numbers, inbound = services(store)
    await numbers.add("3000", account=alice, price=600)
    await numbers.add("4000", account=kid, price=300)
    await numbers.add("5000", account=bob)

    first = await inbound.receive("op", "393331112222", "3000", "one", "gsm7", 1)
    second = await inbound.receive("op", "393331112222", "3000", "two", "gsm7", 1)
    third = await inbound.receive("op", "393331112222", "4000", "for kid", "gsm7", 1)
    await inbound.receive("op", "393331112222", "5000", "free", "gsm7", 1)
    await inbound.receive("op", "393331112222", "6000", "unrouted", "gsm7", 1)

    assert await balance(store, alice) == 1_000 - 600 - 600 - 300
    assert await balance(store, kid) == 0
    assert await balance(store, bob) == 0
    charges = [
        (e.kind, e.amount, e.balance_after, e.reference)
        for e in reversed(await store.ledger(alice.id, limit=10, before_id=None))
        if e.kind is EntryKind.CHARGE
    ]
    assert charges == [
        (EntryKind.CHARGE, -600, 400, f"inbound:{first}"),
        (EntryKind.CHARGE, -600, -200, f"inbound:{second}"),
        (EntryKind.CHARGE, -300, -500, f"inbound:{third}"),
    ]
    assert await store.ledger(kid.id, limit=10, before_id=None) == []
    sums = await ledger_sums(store)
    assert all(total == ledger for total, ledger in sums.values()), sums
    rows, _ = await inbound.page(None, limit=10)
    assert len(rows) == 5


async def test_a_number_s_delivery_is_set_and_bad_values_change_nothing(store: Store) -> None:
    alice = await funded(store, "alice")
    numbers, _ = services(store)
    await numbers.add("3000", account=alice, webhook_url="https://a.example/mo", price=10)
    changed = await numbers.set_delivery("+3000", None, "agiletelecom", 2_500)
    assert (changed.webhook_url, changed.webhook_shape, changed.price) == (
        None,
        "agiletelecom",
        2_500,
    )
    refusals = [
        ("https://a.example/mo", "soap", 0, "webhook_shape"),
        ("ftp://a.example", None, 0, "webhook_url"),
        (None, None, -1, "price"),
    ]
    for url, shape, price, field in refusals:
        with pytest.raises(InvalidRequest) as refused:
            await numbers.set_delivery("3000", url, shape, price)
        assert refused.value.field == field
        with pytest.raises(InvalidRequest):
            await numbers.add("4000", webhook_url=url, webhook_shape=shape, price=price)
    with pytest.raises(NotFound):
        await numbers.set_delivery("4000", None, None, 0)
    assert await numbers.list() == [changed]


async def test_inbound_settings_are_stored_checked_and_bad_ones_change_nothing(
    store: Store,
) -> None:
    alice = await funded(store, "alice")
    bob = await funded(store, "bob")
    assert isinstance(store, InboundSettingsStore)
    settings = InboundSettingsService(store, Clock())
    wanted = InboundSettings(
        alice.id,
        webhook_url="https://alice.example/mo",
        webhook_shape="smspartner",
        smpp=True,
        smpp_long="payload",
        opt_out=("ferma", "Basta"),
        stop_reply="Bye",
        start_reply="Welcome back",
    )
    stored = await settings.set(wanted)
    assert stored.opt_out == ("BASTA", "FERMA")
    assert await InboundSettingsService(store, Clock()).get(alice) == stored
    assert await settings.get(bob) == InboundSettings(bob.id)
    bad = [
        {"webhook_url": "mailto:x"},
        {"webhook_shape": "xml"},
        {"smpp_long": "sar"},
        {"opt_out": ("two words",)},
        {"opt_out": tuple(f"W{n}" for n in range(101))},
        {"stop_reply": ""},
        {"start_reply": "x" * 613},
        {"stop_reply": "a\x00b"},
    ]
    for change in bad:
        with pytest.raises(InvalidRequest):
            await settings.set(InboundSettings(alice.id, **change))  # type: ignore[arg-type]
    assert await InboundSettingsService(store, Clock()).get(alice) == stored
