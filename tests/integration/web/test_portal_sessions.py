"""Portal sessions and CSRF on the real gateway: `/` leads to the login page, a login goes
through the Authenticator (its lockout included), the session cookie is signed, HttpOnly,
SameSite=Lax and expires, and a form without its CSRF token is refused and changes nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account, AccountStatus
from smsgate.data_dir import portal_secret
from smsgate.web.sessions import COOKIE, SessionCodec
from tests.integration.gateway import http_client, open_gateway
from tests.integration.web.conftest import PASSWORD, Visitor

pytestmark = pytest.mark.timeout(60)


def session_of(gateway: Gateway, visitor: Visitor) -> int | None:
    """The account the visitor's cookie names, checked with the gateway's own secret."""
    codec = SessionCodec(portal_secret(gateway.settings))
    session = codec.decode(visitor.http.cookies.get(COOKIE), gateway.clock.now())
    assert session is not None
    return session.user_id


async def test_the_root_leads_to_the_login_page(visitor: Visitor) -> None:
    response = await visitor.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/portal/login"
    page = await visitor.get("/portal/login")
    assert page.status_code == 200
    assert '<label for="name">Account name</label>' in page.text
    assert '<label for="password">Password</label>' in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


async def test_the_session_cookie_is_signed_httponly_lax_and_expires(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    page = await visitor.get("/portal/login")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/portal" in cookie
    # the session's remaining life: 8 hours, less a second if one began since it was made
    max_age = int(cookie.split("Max-Age=", 1)[1].split(";", 1)[0])
    assert 28799 <= max_age <= 28800 and "Secure" not in cookie
    assert session_of(gateway, visitor) is None
    response = await visitor.post("/portal/login", {"name": "alice", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/portal"
    assert session_of(gateway, visitor) == alice.id


async def test_the_cookie_is_secure_over_https(gateway: Gateway, alice: Account) -> None:
    async with http_client(gateway.api_context()) as http:
        http.base_url = httpx.URL("https://test")
        page = await http.get("/portal/login")
        assert "Secure" in page.headers["set-cookie"]


async def test_a_wrong_password_is_refused_without_a_session(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    response = await visitor.log_in(password="not-it")
    assert response.status_code == 401
    assert "Wrong account name or password." in response.text
    assert session_of(gateway, visitor) is None
    unknown = await visitor.log_in(name="nobody")
    assert unknown.status_code == 401


async def test_the_login_lockout_applies_to_the_portal(tmp_path: Path) -> None:
    async with open_gateway(tmp_path, login_failures_per_name=2) as gateway:
        await gateway.accounts.create("alice", credit=1, password=PASSWORD)
        async with http_client(gateway.api_context()) as http:
            visitor = Visitor(http)
            for _ in range(2):
                assert (await visitor.log_in(password="wrong")).status_code == 401
            blocked = await visitor.log_in()
            assert blocked.status_code == 429
            assert "too many failed logins" in blocked.text.lower()
            # the same lockout as HTTP Basic: the API refuses the name too
            basic = await http.get("/api/v1/balance", auth=("alice", PASSWORD))
            assert basic.status_code == 429


@pytest.mark.parametrize("token", [None, "forged"])
async def test_a_login_without_its_csrf_token_is_refused(
    gateway: Gateway, visitor: Visitor, alice: Account, token: str | None
) -> None:
    await visitor.get("/portal/login")
    data = {"name": "alice", "password": PASSWORD}
    if token is not None:
        data["csrf"] = token
    response = await visitor.post("/portal/login", data, csrf=False)
    assert response.status_code == 403
    assert session_of(gateway, visitor) is None


async def test_a_login_without_a_session_cookie_is_refused(
    visitor: Visitor, alice: Account
) -> None:
    await visitor.get("/portal/login")
    visitor.http.cookies.clear()
    response = await visitor.post("/portal/login", {"name": "alice", "password": PASSWORD})
    assert response.status_code == 403


async def test_a_login_gets_a_new_nonce_and_logout_needs_the_token(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.get("/portal/login")
    before = visitor.csrf
    await visitor.log_in()
    page = await visitor.get("/portal/login")  # signed in: sent home
    assert page.status_code == 303
    await visitor.get("/portal")
    assert visitor.csrf != before
    refused = await visitor.post("/portal/logout", {"csrf": before})
    assert refused.status_code == 403
    assert session_of(gateway, visitor) == alice.id
    done = await visitor.post("/portal/logout", {})
    assert done.status_code == 303 and done.headers["location"] == "/portal/login"
    assert COOKIE not in visitor.http.cookies


async def test_a_forged_cookie_or_a_suspended_account_is_sent_to_login(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.log_in()
    cookie = visitor.http.cookies[COOKIE]
    body, _, signature = cookie.rpartition(".")
    other = str(alice.id + 1)
    forged = body.replace(f"v1.{alice.id}.", f"v1.{other}.") + "." + signature
    visitor.http.cookies.set(COOKIE, forged, domain="test.local", path="/portal")
    response = await visitor.get("/portal")
    assert response.status_code == 303 and response.headers["location"] == "/portal/login"
    visitor.http.cookies.set(COOKIE, cookie, domain="test.local", path="/portal")
    assert (await visitor.get("/portal")).status_code == 200
    await gateway.accounts.set_status(alice, AccountStatus.SUSPENDED)
    response = await visitor.get("/portal")
    assert response.status_code == 303
    login = await visitor.get("/portal/login")  # not sent back home: no loop
    assert login.status_code == 200
    assert session_of(gateway, visitor) is None
    refused = await visitor.post("/portal/login", {"name": "alice", "password": PASSWORD})
    assert refused.status_code == 403 and "suspended" in refused.text
