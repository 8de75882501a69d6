"""Who may call: API keys, HTTP Basic, suspended accounts and their sub-accounts."""

from __future__ import annotations

import pytest

from smsgate.core.accounts import AccountStatus
from tests.integration.api.conftest import PASSWORD, Gateway

SEND = {"to": "+393331234567", "from": "Shop", "text": "hi"}
PROTECTED = [
    ("POST", "/api/v1/messages"),
    ("POST", "/api/v1/quote"),
    ("GET", "/api/v1/messages"),
    ("GET", "/api/v1/messages/some-id"),
    ("POST", "/api/v1/messages/some-id/cancel"),
    ("GET", "/api/v1/balance"),
    ("GET", "/api/v1/ledger"),
    ("GET", "/api/v1/subaccounts"),
    ("POST", "/api/v1/subaccounts"),
    ("POST", "/api/v1/subaccounts/1/credit"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_every_endpoint_needs_credentials(gw: Gateway, method: str, path: str) -> None:
    before = await gw.snapshot()
    for headers in ({}, {"Authorization": "Bearer sg_wrong"}, {"Authorization": "Digest x"}):
        response = await gw.http.request(method, path, json=SEND, headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"]["code"] == "unauthenticated"
        assert "Basic" in response.headers["www-authenticate"]
    assert await gw.snapshot() == before


async def test_basic_auth(gw: Gateway) -> None:
    await gw.accounts.set_password(gw.alice, PASSWORD)
    good = await gw.http.post("/api/v1/messages", json=SEND, auth=("alice", PASSWORD))
    assert good.status_code == 202
    answers = []
    for auth in (("alice", "wrong"), ("nobody", PASSWORD)):
        bad = await gw.http.get("/api/v1/balance", auth=auth)
        assert bad.status_code == 401
        answers.append(bad.json())
    # The same answer either way: nothing tells which account names exist.
    assert (
        answers[0]
        == answers[1]
        == {"error": {"code": "unauthenticated", "message": "invalid username or password"}}
    )


async def test_suspended_account_is_forbidden(gw: Gateway) -> None:
    await gw.accounts.set_status(gw.alice, AccountStatus.SUSPENDED)
    before = await gw.snapshot()
    send = await gw.http.post("/api/v1/messages", json=SEND, headers=gw.auth())
    balance = await gw.http.get("/api/v1/balance", headers=gw.auth())
    for response in (send, balance):
        assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    assert await gw.snapshot() == before


async def test_subaccount_of_a_suspended_parent_cannot_send(gw: Gateway) -> None:
    _, key = await gw.new_account("kid", "1.00", parent=gw.alice)
    await gw.accounts.set_status(gw.alice, AccountStatus.SUSPENDED)
    before = await gw.snapshot()
    response = await gw.http.post("/api/v1/messages", json=SEND, headers=gw.auth(key))
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    assert await gw.snapshot() == before
