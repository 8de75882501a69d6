"""The sender IDs page on the real gateway: added, listed and deleted; a sender the API
would refuse, or one listed already, is refused and nothing added; another account's
sender id is 404; a form without its CSRF token is 403."""

from __future__ import annotations

import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from tests.integration.web.conftest import Visitor

pytestmark = pytest.mark.timeout(60)


async def names(gateway: Gateway, account: Account) -> list[str]:
    return [s.sender for s in await gateway.senders.list(account)]


async def test_a_sender_id_is_added_listed_and_deleted(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.log_in()
    empty = await visitor.get("/portal/senders")
    assert empty.status_code == 200 and "No sender IDs." in empty.text
    for sender in ("Shop", "+393331234567"):
        added = await visitor.post("/portal/senders", {"sender": sender})
        assert added.status_code == 303 and added.headers["location"] == "/portal/senders"
    assert await names(gateway, alice) == ["Shop", "+393331234567"]
    listed = await visitor.get("/portal/senders")
    assert "<td>Shop</td>" in listed.text and "<td>+393331234567</td>" in listed.text
    shop = (await gateway.senders.list(alice))[0]
    deleted = await visitor.post(f"/portal/senders/{shop.id}/delete", {})
    assert deleted.status_code == 303
    assert await names(gateway, alice) == ["+393331234567"]
    assert (await visitor.post(f"/portal/senders/{shop.id}/delete", {})).status_code == 404


@pytest.mark.parametrize(
    ("sender", "status", "error"),
    [
        ("TwelveLetter", 400, "at most 11 characters"),
        ("12345678901234567", 400, "at most 16 digits"),
        ("", 400, "empty or has surrounding spaces"),
        (" Shop", 400, "empty or has surrounding spaces"),
        ("Sh<op>", 400, "characters outside A-Z"),
        ("Taken", 409, "exists already"),
    ],
)
async def test_a_bad_sender_id_is_refused_and_nothing_added(
    gateway: Gateway, visitor: Visitor, alice: Account, sender: str, status: int, error: str
) -> None:
    await gateway.senders.add(alice, "Taken")
    await visitor.log_in()
    await visitor.get("/portal/senders")
    refused = await visitor.post("/portal/senders", {"sender": sender})
    assert refused.status_code == status
    assert error in refused.text and 'id="sender-error"' in refused.text
    assert await names(gateway, alice) == ["Taken"]


async def test_another_account_s_sender_id_is_not_found(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    bob = (await gateway.accounts.create("bob")).account
    bobs = await gateway.senders.add(bob, "BobShop")
    await visitor.log_in()
    page = await visitor.get("/portal/senders")
    assert "BobShop" not in page.text
    for path in (f"/portal/senders/{bobs.id}/delete", "/portal/senders/99999999999/delete"):
        assert (await visitor.post(path, {})).status_code == 404
    assert await names(gateway, bob) == ["BobShop"]


async def test_a_form_without_its_csrf_token_changes_nothing(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    kept = await gateway.senders.add(alice, "Kept")
    await visitor.log_in()
    await visitor.get("/portal/senders")
    posts = [("/portal/senders", {"sender": "New"}), (f"/portal/senders/{kept.id}/delete", {})]
    for path, data in posts:
        assert (await visitor.post(path, {"x": "", **data}, csrf=False)).status_code == 403
        assert (await visitor.post(path, {"csrf": "x", **data}, csrf=False)).status_code == 403
    assert await names(gateway, alice) == ["Kept"]


async def test_the_senders_page_needs_a_login(visitor: Visitor, alice: Account) -> None:
    response = await visitor.get("/portal/senders")
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/login"
