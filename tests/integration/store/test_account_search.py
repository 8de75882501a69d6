"""Finding accounts by name a page at a time, and the first sub-accounts of several
parents, on every store backend, through AccountService."""

from __future__ import annotations

import pytest

from smsgate.core.accounts import Account
from smsgate.core.errors import InvalidRequest
from smsgate.services.accounts import AccountService
from smsgate.services.catalog import Catalog
from smsgate.services.clock import SystemClock
from smsgate.services.credentials import Authenticator
from smsgate.services.ports import Store


def service(store: Store) -> AccountService:
    clock = SystemClock()
    return AccountService(store, Catalog(store, clock), Authenticator(store, clock), clock)


async def tree(accounts: AccountService) -> dict[str, Account]:
    """Two resellers with customers, and an account alone; created out of name order."""
    made: dict[str, Account] = {}
    for name, parent in [
        ("zeta", None),
        ("Acme", None),
        ("acme-shop", "Acme"),
        ("acme_b", "Acme"),
        ("acme.a", "Acme"),
        ("z-one", "zeta"),
        ("lone", None),
        ("deep", "acme-shop"),
    ]:
        created = await accounts.create(name, parent=made[parent] if parent else None)
        made[name] = created.account
    return made


def names(found: list[Account]) -> list[str]:
    return [a.name for a in found]


async def test_search_by_part_of_a_name_in_byte_order_a_page_at_a_time(store: Store) -> None:
    accounts = service(store)
    await tree(accounts)
    every = ["Acme", "acme-shop", "acme.a", "acme_b", "deep", "lone", "z-one", "zeta"]
    assert names(await accounts.find()) == every
    # any case, anywhere in the name; '_' and '%' are letters, not wildcards
    assert names(await accounts.find("ACME")) == ["Acme", "acme-shop", "acme.a", "acme_b"]
    assert names(await accounts.find("e_")) == ["acme_b"]
    assert names(await accounts.find("e%")) == []
    assert names(await accounts.find("one")) == ["lone", "z-one"]
    assert names(await accounts.find("nobody")) == []

    first = await accounts.find("acme", limit=2)
    assert names(first) == ["Acme", "acme-shop"]
    rest = await accounts.find("acme", after=first[-1].name, limit=2)
    assert names(rest) == ["acme.a", "acme_b"]
    assert await accounts.find("acme", after=rest[-1].name, limit=2) == []


async def test_top_level_children_and_first_sub_accounts_of_each_parent(store: Store) -> None:
    accounts = service(store)
    made = await tree(accounts)
    assert names(await accounts.find(top_level=True)) == ["Acme", "lone", "zeta"]
    assert names(await accounts.find(top_level=True, after="Acme", limit=1)) == ["lone"]
    assert names(await accounts.find(parent=made["Acme"])) == ["acme-shop", "acme.a", "acme_b"]
    assert names(await accounts.find("b", parent=made["Acme"])) == ["acme_b"]

    roots = [made["zeta"], made["Acme"], made["lone"]]
    children = await accounts.sub_accounts(roots, limit_each=2)
    assert {parent_id: names(found) for parent_id, found in children.items()} == {
        made["zeta"].id: ["z-one"],
        made["Acme"].id: ["acme-shop", "acme.a"],
        made["lone"].id: [],
    }
    assert await accounts.sub_accounts([], limit_each=5) == {}
    assert children[made["Acme"].id][0] == await accounts.get("acme-shop")


@pytest.mark.parametrize("bad", ["x" * 17, "nul\x00"])
async def test_a_search_no_name_can_match_is_refused(store: Store, bad: str) -> None:
    accounts = service(store)
    with pytest.raises(InvalidRequest) as refused:
        await accounts.find(bad)
    assert refused.value.field == "text"
    with pytest.raises(InvalidRequest):
        await accounts.find(after="not a name!")
