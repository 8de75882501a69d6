"""The sub-accounts pages on the real gateway: a sub-account created with its key shown
once, funded and withdrawn in exact decimals with both ledgers moved, suspended and
reactivated; a bad amount, too little credit or a bad name moves nothing; another
account's id is 404; a form without its CSRF token is 403."""

from __future__ import annotations

import re

import httpx
import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account, AccountStatus
from smsgate.core.ledger import EntryKind
from tests.integration.web.conftest import CREDIT, Visitor

pytestmark = pytest.mark.timeout(60)

KEY = re.compile(r'value="(sg_[A-Za-z0-9_-]+)"')


async def create(visitor: Visitor, name: str, **more: str) -> httpx.Response:
    await visitor.get("/portal/accounts")
    return await visitor.post("/portal/accounts", {"name": name, "password": "shop-secret", **more})


async def balances(gateway: Gateway, *accounts: Account) -> list[int]:
    return [(await gateway.accounts.get_by_id(a.id)).balance for a in accounts]


async def test_a_sub_account_is_created_funded_withdrawn_and_suspended(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.log_in()
    empty = await visitor.get("/portal/accounts")
    assert empty.status_code == 200 and "No sub-accounts." in empty.text

    created = await create(visitor, "shop1")
    assert created.status_code == 200
    key = KEY.search(created.text)
    assert key is not None
    shop = await gateway.accounts.get("shop1")
    assert shop.parent_id == alice.id and shop.own_balance and shop.balance == 0
    assert (await gateway.auth.by_api_key(key.group(1))).id == shop.id
    assert (await gateway.auth.by_password("shop1", "shop-secret")).id == shop.id
    listed = await visitor.get("/portal/accounts")
    assert f'href="/portal/accounts/{shop.id}">shop1</a>' in listed.text
    assert key.group(1) not in listed.text

    await visitor.get(f"/portal/accounts/{shop.id}")
    funded = await visitor.post(
        f"/portal/accounts/{shop.id}/credit", {"direction": "fund", "amount": "2.50"}
    )
    assert funded.status_code == 303
    assert await balances(gateway, alice, shop) == [CREDIT - 2_500_000, 2_500_000]
    withdrawn = await visitor.post(
        f"/portal/accounts/{shop.id}/credit", {"direction": "withdraw", "amount": "1,000001"}
    )
    assert withdrawn.status_code == 303
    assert await balances(gateway, alice, shop) == [CREDIT - 1_499_999, 1_499_999]
    page = await visitor.get(f"/portal/accounts/{shop.id}")
    assert re.search(r'id="child-balance">1.499999 EUR<', page.text)
    assert re.search(r'id="balance">8.500001 EUR<', page.text)
    kinds = [e.kind for e in await gateway.accounts.ledger(shop)]
    assert kinds == [EntryKind.TRANSFER_OUT, EntryKind.TRANSFER_IN]
    assert sum(e.amount for e in await gateway.accounts.ledger(alice)) == CREDIT - 1_499_999

    suspended = await visitor.post(f"/portal/accounts/{shop.id}/status", {"action": "suspend"})
    assert suspended.status_code == 303
    assert (await gateway.accounts.get_by_id(shop.id)).status is AccountStatus.SUSPENDED
    page = await visitor.get(f"/portal/accounts/{shop.id}")
    assert 'id="child-status">suspended<' in page.text
    await visitor.post(f"/portal/accounts/{shop.id}/status", {"action": "reactivate"})
    assert (await gateway.accounts.get_by_id(shop.id)).is_active


async def test_a_shared_balance_sub_account_has_no_credit_form(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.log_in()
    assert (await create(visitor, "shared1", balance="shared")).status_code == 200
    shared = await gateway.accounts.get("shared1")
    assert not shared.own_balance
    page = await visitor.get(f"/portal/accounts/{shared.id}")
    assert "shares yours" in page.text and 'id="fund"' not in page.text
    refused = await visitor.post(
        f"/portal/accounts/{shared.id}/credit", {"direction": "fund", "amount": "1"}
    )
    assert refused.status_code == 400 and "shares its parent&#39;s balance" in refused.text
    assert await balances(gateway, alice) == [CREDIT]


@pytest.mark.parametrize(
    ("name", "password", "status", "error"),
    [
        ("bad name", "shop-secret", 400, "account name must be"),
        ("", "shop-secret", 400, "account name must be"),
        ("shop2", "short", 400, "password must be 6-64 characters"),
        ("alice", "shop-secret", 409, "an account named &#39;alice&#39; exists"),
    ],
)
async def test_a_bad_sub_account_is_refused_and_none_is_made(
    gateway: Gateway,
    visitor: Visitor,
    alice: Account,
    name: str,
    password: str,
    status: int,
    error: str,
) -> None:
    await visitor.log_in()
    await visitor.get("/portal/accounts")
    refused = await visitor.post("/portal/accounts", {"name": name, "password": password})
    assert refused.status_code == status
    assert error in refused.text and 'id="account-error"' in refused.text
    assert await gateway.accounts.list_accounts(alice) == []


@pytest.mark.parametrize(
    ("direction", "amount", "status", "error"),
    [
        ("fund", "abc", 400, "not a decimal amount"),
        ("fund", "1.0000001", 400, "not a decimal amount"),
        ("fund", "1e3", 400, "not a decimal amount"),
        ("fund", "", 400, "not a decimal amount"),
        ("fund", "0", 400, "enter an amount above zero"),
        ("fund", "-1.00", 400, "enter an amount above zero"),
        ("fund", "10.000001", 402, "Your balance is less than 10.000001 EUR"),
        ("withdraw", "1.000001", 402, "shop3 holds less than 1.000001 EUR"),
        ("sideways", "1.00", 400, "choose to fund or to withdraw"),
    ],
)
async def test_a_bad_amount_or_too_little_credit_moves_nothing(
    gateway: Gateway,
    visitor: Visitor,
    alice: Account,
    direction: str,
    amount: str,
    status: int,
    error: str,
) -> None:
    shop = (await gateway.accounts.create("shop3", parent=alice, credit=1_000_000)).account
    await visitor.log_in()
    await visitor.get(f"/portal/accounts/{shop.id}")
    entries = len(await gateway.accounts.ledger(alice))
    refused = await visitor.post(
        f"/portal/accounts/{shop.id}/credit", {"direction": direction, "amount": amount}
    )
    assert refused.status_code == status
    assert error in refused.text and 'id="account-error"' in refused.text
    assert await balances(gateway, alice, shop) == [CREDIT - 1_000_000, 1_000_000]
    assert len(await gateway.accounts.ledger(alice)) == entries


async def test_another_account_s_sub_account_is_not_found(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    bob = (await gateway.accounts.create("bob", credit=5_000_000)).account
    bobs = (await gateway.accounts.create("bobshop", parent=bob, credit=1_000_000)).account
    mine = (await gateway.accounts.create("mine", parent=alice)).account
    grandchild = (await gateway.accounts.create("grandchild", parent=mine)).account
    await visitor.log_in()
    await visitor.get("/portal/accounts")
    for other in (bob, bobs, alice, grandchild):
        page = await visitor.get(f"/portal/accounts/{other.id}")
        assert page.status_code == 404 and other.name not in page.text
        fund = await visitor.post(
            f"/portal/accounts/{other.id}/credit", {"direction": "withdraw", "amount": "1"}
        )
        assert fund.status_code == 404
        status = await visitor.post(f"/portal/accounts/{other.id}/status", {"action": "suspend"})
        assert status.status_code == 404
    for path in ("/portal/accounts/0", "/portal/accounts/99999999999", "/portal/accounts/x"):
        assert (await visitor.get(path)).status_code == 404
    assert await balances(gateway, alice, bob, bobs) == [CREDIT, 4_000_000, 1_000_000]
    for account in (bob, bobs, grandchild):
        assert (await gateway.accounts.get_by_id(account.id)).is_active
    listed = await visitor.get("/portal/accounts")
    assert "bobshop" not in listed.text and "grandchild" not in listed.text


async def test_a_form_without_its_csrf_token_changes_nothing(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    shop = (await gateway.accounts.create("shop4", parent=alice, credit=1_000_000)).account
    await visitor.log_in()
    posts = [
        ("/portal/accounts", {"name": "shop5", "password": "shop-secret"}),
        (f"/portal/accounts/{shop.id}/credit", {"direction": "fund", "amount": "1"}),
        (f"/portal/accounts/{shop.id}/status", {"action": "suspend"}),
    ]
    for path, data in posts:
        refused = await visitor.post(path, data, csrf=False)
        assert refused.status_code == 403, path
        forged = await visitor.post(path, {**data, "csrf": "forged"}, csrf=False)
        assert forged.status_code == 403, path
    assert [a.name for a in await gateway.accounts.list_accounts(alice)] == ["shop4"]
    assert await balances(gateway, alice, shop) == [CREDIT - 1_000_000, 1_000_000]
    assert (await gateway.accounts.get_by_id(shop.id)).is_active


async def test_the_sub_account_pages_need_a_login(visitor: Visitor, alice: Account) -> None:
    for path in ("/portal/accounts", "/portal/accounts/1"):
        response = await visitor.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/portal/login"
