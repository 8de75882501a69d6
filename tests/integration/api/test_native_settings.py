"""Account settings over the native API: an account reads its own, a parent reads and
changes its sub-accounts'; bad values are 400 naming the field and change nothing; the
allow-list and the send rate then apply to the sub-account's requests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from smsgate.core.accounts import Account
from tests.integration.api.conftest import Gateway

TO = "+393331234567"
DEFAULTS = {"allowed_ips": None, "send_rate": None, "max_binds": 10}


async def child_of_alice(gw: Gateway) -> tuple[Account, str]:
    return await gw.new_account("shop", "1.00", parent=gw.alice)


def settings_path(account: Account) -> str:
    return f"/api/v1/subaccounts/{account.id}/settings"


async def test_an_account_reads_its_own_settings(gw: Gateway) -> None:
    response = await gw.http.get("/api/v1/settings", headers=gw.auth())
    assert (response.status_code, response.json()) == (200, DEFAULTS)


async def test_a_parent_sets_and_reads_a_subaccounts_settings(gw: Gateway) -> None:
    child, key = await child_of_alice(gw)
    changed = await gw.http.patch(
        settings_path(child),
        json={"allowed_ips": ["127.0.0.1", "2001:db8::/32"], "send_rate": 5, "max_binds": 2},
        headers=gw.auth(),
    )
    expected = {"allowed_ips": ["127.0.0.1", "2001:db8::/32"], "send_rate": 5.0, "max_binds": 2}
    assert (changed.status_code, changed.json()) == (200, expected)
    read = await gw.http.get(settings_path(child), headers=gw.auth())
    assert read.json() == expected
    own = await gw.http.get("/api/v1/settings", headers=gw.auth(key))
    assert own.json() == expected
    # Absent fields keep their value; null clears.
    cleared = await gw.http.patch(
        settings_path(child), json={"allowed_ips": None}, headers=gw.auth()
    )
    assert cleared.json() == {**expected, "allowed_ips": None}


async def test_only_the_parent_may_touch_a_subaccounts_settings(gw: Gateway) -> None:
    child, child_key = await child_of_alice(gw)
    _, other_key = await gw.new_account("mallory")
    body = {"send_rate": 1000}
    for key in (child_key, other_key):
        refused = await gw.http.patch(settings_path(child), json=body, headers=gw.auth(key))
        assert refused.status_code == 403
        read = await gw.http.get(settings_path(child), headers=gw.auth(key))
        assert read.status_code == 403
    missing = await gw.http.get("/api/v1/subaccounts/999999/settings", headers=gw.auth())
    assert missing.status_code == 404
    own = await gw.http.get("/api/v1/settings", headers=gw.auth(child_key))
    assert own.json() == DEFAULTS


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"allowed_ips": ["10.0.0.256"]}, "allowed_ips"),
        ({"allowed_ips": ["10.0.0.1/8"]}, "allowed_ips"),
        ({"allowed_ips": ["10.0.0.0/40"]}, "allowed_ips"),
        ({"allowed_ips": []}, "allowed_ips"),
        ({"allowed_ips": "10.0.0.1"}, "allowed_ips"),
        ({"allowed_ips": ["10.0.0.1"] * 101}, "allowed_ips"),
        ({"send_rate": -1}, "send_rate"),
        ({"send_rate": 0}, "send_rate"),
        ({"send_rate": "5"}, "send_rate"),
        ({"max_binds": -1}, "max_binds"),
        ({"max_binds": 1001}, "max_binds"),
        ({"max_binds": None}, "max_binds"),
        ({"max_binds": 2, "send_rate": -5}, "send_rate"),
        ({"speed": 5}, "speed"),
    ],
)
async def test_bad_settings_are_400_naming_the_field(
    gw: Gateway, body: dict[str, Any], field: str
) -> None:
    child, _ = await child_of_alice(gw)
    before = await gw.http.get(settings_path(child), headers=gw.auth())
    refused = await gw.http.patch(settings_path(child), json=body, headers=gw.auth())
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_request", field)
    after = await gw.http.get(settings_path(child), headers=gw.auth())
    assert after.json() == before.json() == DEFAULTS


def client_from(gw: Gateway, address: str) -> httpx.AsyncClient:
    transport = gw.http._transport
    assert isinstance(transport, httpx.ASGITransport)
    moved = httpx.ASGITransport(transport.app, client=(address, 40000))
    return httpx.AsyncClient(transport=moved, base_url="http://test")


async def test_the_allow_list_refuses_other_addresses_and_stores_nothing(gw: Gateway) -> None:
    child, key = await child_of_alice(gw)
    await gw.http.patch(
        settings_path(child), json={"allowed_ips": ["192.0.2.0/24"]}, headers=gw.auth()
    )
    before = await gw.snapshot()
    send = {"to": TO, "from": "Shop", "text": "hi"}
    async with client_from(gw, "198.51.100.7") as outside:
        refused = await outside.post("/api/v1/messages", json=send, headers=gw.auth(key))
        assert refused.status_code == 403
        assert refused.json()["error"]["field"] == "source_ip"
        # The parent has no list of its own: its requests from there are served.
        assert (await outside.get("/api/v1/balance", headers=gw.auth())).status_code == 200
    assert await gw.snapshot() == before
    async with client_from(gw, "192.0.2.9") as inside:
        sent = await inside.post("/api/v1/messages", json=send, headers=gw.auth(key))
        assert sent.status_code == 202


async def test_the_send_rate_answers_429_with_retry_after(gw: Gateway) -> None:
    child, key = await child_of_alice(gw)
    await gw.http.patch(settings_path(child), json={"send_rate": 0.25}, headers=gw.auth())
    send = {"to": TO, "from": "Shop", "text": "hi"}
    sent = await gw.http.post("/api/v1/messages", json=send, headers=gw.auth(key))
    assert sent.status_code == 202
    before = await gw.snapshot()
    refused = await gw.http.post("/api/v1/messages", json=send, headers=gw.auth(key))
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.headers["Retry-After"] in ("4", "5")
    assert await gw.snapshot() == before
    # The parent's own sends are not limited by its sub-account's rate.
    for _ in range(3):
        ok = await gw.http.post("/api/v1/messages", json=send, headers=gw.auth())
        assert ok.status_code == 202
