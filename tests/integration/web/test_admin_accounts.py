"""The console's accounts through the real app: the tree and the search a page at a
time, an account's page, top-ups and suspensions written to the ledger and the audit log,
accounts created; every refusal a clear page that changes and audits nothing."""

from __future__ import annotations

import re

import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account, AccountStatus
from smsgate.core.ledger import EntryKind
from smsgate.web.admin import accounts as account_pages
from tests.integration.web.conftest import CREDIT, Visitor
from tests.integration.web.test_admin_console import ADMIN_PASSWORD, log_in


@pytest.fixture
async def admin(gateway: Gateway, visitor: Visitor) -> Visitor:
    """The visitor, logged in to the console as `root`."""
    await gateway.admins.create("root", ADMIN_PASSWORD)
    assert await log_in(visitor) == 303
    return visitor


async def reseller(gateway: Gateway) -> Account:
    """`acme` with the sub-accounts shop-b, shop-a (own balances) and shop-c (shared)."""
    acme = (await gateway.accounts.create("acme", credit=3_000_000)).account
    for name in ("shop-b", "shop-a"):
        await gateway.accounts.create(name, parent=acme, credit=1_000_000)
    await gateway.accounts.create("shop-c", parent=acme, own_balance=False)
    return acme


async def audit(gateway: Gateway) -> list[tuple[str, str, str]]:
    return [(e.action, e.target, e.detail) for e in await gateway.admins.audit()]


def names(html: str) -> list[str]:
    """The account names of the page's table, in order."""
    return re.findall(r'<a class="account" href="/admin/accounts/\d+">([^<]+)</a>', html)


async def test_the_tree_shows_sub_accounts_under_their_parent_and_search_finds_by_part(
    gateway: Gateway, admin: Visitor, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    await reseller(gateway)
    page = await admin.get("/admin/accounts")
    assert page.status_code == 200
    assert names(page.text) == ["acme", "shop-a", "shop-b", "shop-c", "alice"]
    assert page.text.count('<tr class="sub">') == 3
    assert "1.00 EUR" in page.text and "10.00 EUR" in page.text and "parent's" in page.text

    found = await admin.get("/admin/accounts", q="SHOP")
    assert names(found.text) == ["shop-a", "shop-b", "shop-c"]
    assert 'class="sub"' not in found.text
    assert names((await admin.get("/admin/accounts", q="nobody")).text) == []

    monkeypatch.setattr(account_pages, "PAGE", 1)
    monkeypatch.setattr(account_pages, "SUBS", 2)
    first = await admin.get("/admin/accounts")
    assert names(first.text) == ["acme", "shop-a", "shop-b"]
    assert "more sub-accounts" in first.text and "after=acme" in first.text
    second = await admin.get("/admin/accounts", after="acme")
    assert names(second.text) == ["alice"] and "after=" not in second.text
    paged = await admin.get("/admin/accounts", q="shop", after="shop-a")
    assert names(paged.text) == ["shop-b"] and "q=shop&amp;after=shop-b" in paged.text


async def test_a_search_no_name_can_match_is_a_clear_error(admin: Visitor) -> None:
    refused = await admin.get("/admin/accounts", q="x" * 17)
    assert refused.status_code == 400
    assert "search for up to 16 characters" in refused.text
    assert (await admin.get("/admin/accounts", after="not a name!")).status_code == 400


async def test_an_account_page_tops_up_exactly_and_writes_the_audit_log(
    gateway: Gateway, admin: Visitor, alice: Account
) -> None:
    page = await admin.get(f"/admin/accounts/{alice.id}")
    assert page.status_code == 200
    assert 'id="balance">10.00 EUR' in page.text
    assert f'href="/admin/prices?account={alice.id}"' in page.text

    done = await admin.post(
        f"/admin/accounts/{alice.id}/topup", {"amount": "5.000001", "note": "wire 42"}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/admin/accounts/{alice.id}"
    assert (await gateway.accounts.get("alice")).balance == CREDIT + 5_000_001
    entry = (await gateway.accounts.ledger(alice, limit=1))[0]
    assert (entry.kind, entry.amount, entry.reference) == (EntryKind.TOPUP, 5_000_001, "wire 42")
    assert await audit(gateway) == [("account.topup", "alice", "+5.000001 EUR: wire 42")]

    await admin.post(f"/admin/accounts/{alice.id}/topup", {"amount": "-1,5", "note": ""})
    assert (await gateway.accounts.get("alice")).balance == CREDIT + 3_500_001
    assert (await audit(gateway))[0] == ("account.topup", "alice", "-1.50 EUR")
    shown = await admin.get(f"/admin/accounts/{alice.id}")
    assert "13.500001 EUR" in shown.text and "wire 42" in shown.text


@pytest.mark.parametrize(
    ("amount", "note", "message"),
    [
        ("", "", "not a decimal amount"),
        ("five", "", "not a decimal amount"),
        ("1.0000001", "", "not a decimal amount"),
        ("0", "", "amount must not be zero"),
        ("-10.01", "", "credit"),
        ("1", "n" * 201, "a note is at most 200 characters"),
        ("1", "nul\x00", "U+0000"),
    ],
)
async def test_a_bad_top_up_changes_and_audits_nothing(
    gateway: Gateway, admin: Visitor, alice: Account, amount: str, note: str, message: str
) -> None:
    await admin.get(f"/admin/accounts/{alice.id}")
    refused = await admin.post(
        f"/admin/accounts/{alice.id}/topup", {"amount": amount, "note": note}
    )
    assert refused.status_code == 400
    assert 'id="account-error"' in refused.text and message in refused.text
    assert (await gateway.accounts.get("alice")).balance == CREDIT
    assert len(await gateway.accounts.ledger(alice)) == 1
    assert await audit(gateway) == []


async def test_a_shared_balance_account_is_not_topped_up(gateway: Gateway, admin: Visitor) -> None:
    await reseller(gateway)
    shared = await gateway.accounts.get("shop-c")
    page = await admin.get(f"/admin/accounts/{shared.id}")
    assert "Balance (of acme)" in page.text and "3.00 EUR" not in page.text
    assert "1.00 EUR" in page.text  # acme's after funding two shops
    refused = await admin.post(f"/admin/accounts/{shared.id}/topup", {"amount": "1"})
    assert refused.status_code == 400 and "shares its parent" in refused.text
    assert await audit(gateway) == []


async def test_suspend_and_resume(gateway: Gateway, admin: Visitor, alice: Account) -> None:
    await admin.get(f"/admin/accounts/{alice.id}")
    suspended = await admin.post(f"/admin/accounts/{alice.id}/status", {"status": "suspended"})
    assert suspended.status_code == 303
    assert (await gateway.accounts.get("alice")).status is AccountStatus.SUSPENDED
    page = await admin.get(f"/admin/accounts/{alice.id}")
    assert 'id="status">suspended' in page.text and "Resume" in page.text

    await admin.post(f"/admin/accounts/{alice.id}/status", {"status": "active"})
    assert (await gateway.accounts.get("alice")).status is AccountStatus.ACTIVE
    assert await audit(gateway) == [
        ("account.resume", "alice", ""),
        ("account.suspend", "alice", ""),
    ]

    refused = await admin.post(f"/admin/accounts/{alice.id}/status", {"status": "deleted"})
    assert refused.status_code == 400 and "active" in refused.text
    assert len(await audit(gateway)) == 2


async def test_create_an_account_shows_its_key_once(gateway: Gateway, admin: Visitor) -> None:
    acme = await reseller(gateway)
    form = await admin.get("/admin/accounts/new")
    assert form.status_code == 200 and 'for="parent"' in form.text
    created = await admin.post(
        "/admin/accounts",
        {"name": "shop-d", "password": "d-secret-1", "credit": "0.50", "parent": "acme"},
    )
    assert created.status_code == 200
    key = re.search(r'<code id="api-key">([^<]+)</code>', created.text)
    assert key is not None
    shop = await gateway.accounts.get("shop-d")
    assert shop.parent_id == acme.id and shop.balance == 500_000
    assert (await gateway.accounts.get("acme")).balance == 500_000
    assert await gateway.auth.check_password("d-secret-1", await password_hash(gateway, shop))
    assert await audit(gateway) == [("account.create", "shop-d", "credit 0.50 EUR, parent acme")]
    assert key.group(1) not in (await admin.get(f"/admin/accounts/{shop.id}")).text


async def password_hash(gateway: Gateway, account: Account) -> str:
    stored = await gateway.store.password_hash(account.id)
    assert stored is not None
    return stored


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "alice"}, "an account named &#39;alice&#39; exists"),
        ({"name": "bad name"}, "account name must be"),
        ({"name": "bob", "credit": "1.2.3"}, "not a decimal amount"),
        ({"name": "bob", "parent": "nobody"}, "no account named &#39;nobody&#39;"),
        ({"name": "bob", "parent": "alice", "credit": "11"}, "less than the initial credit"),
        ({"name": "bob", "password": "short"}, "password must be 6-64 characters"),
    ],
)
async def test_a_bad_new_account_is_refused_whole(
    gateway: Gateway, admin: Visitor, alice: Account, fields: dict[str, str], message: str
) -> None:
    await admin.get("/admin/accounts/new")
    refused = await admin.post("/admin/accounts", fields)
    assert refused.status_code == 400
    assert 'id="create-error"' in refused.text and message in refused.text
    assert [a.name for a in await gateway.accounts.list_accounts()] == ["alice"]
    assert (await gateway.accounts.get("alice")).balance == CREDIT
    assert await audit(gateway) == []


async def test_forms_without_their_token_are_refused(
    gateway: Gateway, admin: Visitor, alice: Account
) -> None:
    await admin.get(f"/admin/accounts/{alice.id}")
    for path, fields in [
        (f"/admin/accounts/{alice.id}/topup", {"amount": "1"}),
        (f"/admin/accounts/{alice.id}/status", {"status": "suspended"}),
        ("/admin/accounts", {"name": "bob"}),
    ]:
        assert (await admin.post(path, fields, csrf=False)).status_code == 403
    account = await gateway.accounts.get("alice")
    assert (account.balance, account.status) == (CREDIT, AccountStatus.ACTIVE)
    assert [a.name for a in await gateway.accounts.list_accounts()] == ["alice"]
    assert await audit(gateway) == []


async def test_an_unknown_account_is_not_found(admin: Visitor) -> None:
    assert (await admin.get("/admin/accounts/999")).status_code == 404
    assert (await admin.get("/admin/accounts/99999999999")).status_code == 404


async def test_a_customer_opens_none_of_these_pages(visitor: Visitor, alice: Account) -> None:
    await visitor.log_in()
    for path in ("/admin/accounts", f"/admin/accounts/{alice.id}", "/admin/accounts/new"):
        assert (await visitor.get(path)).headers["location"] == "/admin/login"
    refused = await visitor.post(f"/admin/accounts/{alice.id}/topup", {"amount": "1"})
    assert refused.headers["location"] == "/admin/login"
