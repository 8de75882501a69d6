"""The API keys page on the real gateway: a new key shown once and working on the API,
only its prefix listed afterwards, a revoked key refused at once; another account's key
and an unknown prefix are 404; a form without its CSRF token is 403."""

from __future__ import annotations

import re

import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from tests.integration.web.conftest import Visitor

pytestmark = pytest.mark.timeout(60)

NEW_KEY = re.compile(r'id="new-key" value="(sg_[A-Za-z0-9_-]+)"')


async def api_status(visitor: Visitor, key: str) -> int:
    answer = await visitor.http.get("/api/v1/balance", headers={"Authorization": f"Bearer {key}"})
    return answer.status_code


async def test_a_key_is_shown_once_works_and_is_revoked(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.log_in()
    first = await visitor.get("/portal/keys")
    assert first.status_code == 200 and first.text.count('<td class="status">active</td>') == 1
    assert 'id="new-key"' not in first.text

    created = await visitor.post("/portal/keys", {})
    assert created.status_code == 200
    found = NEW_KEY.search(created.text)
    assert found is not None
    key = found.group(1)
    assert await api_status(visitor, key) == 200
    listed = await visitor.get("/portal/keys")
    prefix = key[:10]
    assert key not in listed.text and f"<code>{prefix}…</code>" in listed.text
    assert listed.text.count('<td class="status">active</td>') == 2
    assert len(await gateway.accounts.keys(alice)) == 2

    revoked = await visitor.post(f"/portal/keys/{prefix}/revoke", {})
    assert revoked.status_code == 303 and revoked.headers["location"] == "/portal/keys"
    assert await api_status(visitor, key) == 401
    after = await visitor.get("/portal/keys")
    assert after.text.count('<td class="status">active</td>') == 1
    assert "revoked " in after.text
    again = await visitor.post(f"/portal/keys/{prefix}/revoke", {})
    assert again.status_code == 404


async def test_another_account_s_key_is_not_found(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    bob = await gateway.accounts.create("bob", credit=1_000_000)
    await visitor.log_in()
    await visitor.get("/portal/keys")
    for prefix in (bob.api_key[:10], bob.api_key, "sg_nothing", "sg"):
        refused = await visitor.post(f"/portal/keys/{prefix}/revoke", {})
        assert refused.status_code == 404, prefix
    assert await api_status(visitor, bob.api_key) == 200
    page = await visitor.get("/portal/keys")
    assert bob.api_key[:10] not in page.text
    assert [revoked for _, _, revoked in await gateway.accounts.keys(alice)] == [None]


async def test_a_form_without_its_csrf_token_changes_nothing(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.log_in()
    await visitor.get("/portal/keys")
    [(prefix, _, _)] = await gateway.accounts.keys(alice)
    for path in ("/portal/keys", f"/portal/keys/{prefix}/revoke"):
        assert (await visitor.post(path, {"x": ""}, csrf=False)).status_code == 403
        assert (await visitor.post(path, {"csrf": "x"}, csrf=False)).status_code == 403
    assert [revoked for _, _, revoked in await gateway.accounts.keys(alice)] == [None]


async def test_the_keys_page_needs_a_login(visitor: Visitor, alice: Account) -> None:
    response = await visitor.get("/portal/keys")
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/login"
