"""The operator console's login, session and audit log, through the real app: an
admin's cookie is not a customer's and the reverse, and every form needs its token."""

from __future__ import annotations

import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from tests.integration.web.conftest import Visitor

ADMIN_PASSWORD = "operator secret 1"


@pytest.fixture
async def admin(gateway: Gateway) -> str:
    await gateway.admins.create("root", ADMIN_PASSWORD)
    return "root"


async def log_in(visitor: Visitor, name: str = "root", password: str = ADMIN_PASSWORD) -> int:
    await visitor.get("/admin/login")
    response = await visitor.post("/admin/login", {"name": name, "password": password})
    return response.status_code


async def test_admin_logs_in_sees_the_audit_log_and_logs_out(
    gateway: Gateway, visitor: Visitor, admin: str
) -> None:
    assert (await visitor.get("/admin")).headers["location"] == "/admin/login"
    assert await log_in(visitor) == 303
    root = await gateway.admins.get(admin)
    await gateway.admins.record(root, "account.topup", "alice", "+5.00 EUR")

    home = await visitor.get("/admin")
    assert home.status_code == 200
    assert "Operator console" in home.text and "account.topup" in home.text
    audit = await visitor.get("/admin/audit")
    assert "+5.00 EUR" in audit.text and "Log out" in audit.text

    cookie = visitor.http.cookies.get("smsgate_admin", path="/admin")
    assert cookie
    out = await visitor.post("/admin/logout", {})
    assert out.headers["location"] == "/admin/login"
    assert (await visitor.get("/admin/audit")).headers["location"] == "/admin/login"


async def test_wrong_password_and_missing_csrf_are_refused(visitor: Visitor, admin: str) -> None:
    assert await log_in(visitor, password="not the password") == 401
    assert await log_in(visitor, name="nobody") == 401
    await visitor.get("/admin/login")
    forged = await visitor.post(
        "/admin/login", {"name": "root", "password": ADMIN_PASSWORD}, csrf=False
    )
    assert forged.status_code == 403
    assert (await visitor.get("/admin")).headers["location"] == "/admin/login"


async def test_repeated_failures_block_the_admin_name(
    gateway: Gateway, visitor: Visitor, admin: str
) -> None:
    limit = gateway.settings.login_failures_per_name
    for _ in range(limit):
        assert await log_in(visitor, password="wrong guess here") == 401
    assert await log_in(visitor) == 429


async def test_a_customer_session_is_not_an_admin_session(
    visitor: Visitor, alice: Account, admin: str
) -> None:
    assert (await visitor.log_in()).headers["location"] == "/portal"
    # the portal's cookie, sent to the console's paths, opens nothing
    portal_cookie = visitor.http.cookies.get("smsgate_portal", path="/portal")
    assert portal_cookie
    visitor.http.cookies.set("smsgate_admin", portal_cookie, path="/admin")
    assert (await visitor.get("/admin")).headers["location"] == "/admin/login"


async def test_an_admin_session_is_not_a_customer_session(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    # the admin's id equals alice's account id: the cookie must still not open the portal
    created = await gateway.admins.create("root", ADMIN_PASSWORD)
    assert created.id == alice.id
    assert await log_in(visitor) == 303
    admin_cookie = visitor.http.cookies.get("smsgate_admin", path="/admin")
    assert admin_cookie
    visitor.http.cookies.set("smsgate_portal", admin_cookie, path="/portal")
    assert (await visitor.get("/portal")).headers["location"] == "/portal/login"
