"""What the console's page tests share: an admin signed in through the login form, and
the audit log's actions."""

from __future__ import annotations

import pytest

from smsgate.app import Gateway
from tests.integration.web.conftest import Visitor

ADMIN_PASSWORD = "operator secret 1"


@pytest.fixture
async def operator(gateway: Gateway, visitor: Visitor) -> Visitor:
    """`visitor`, signed in to the console as admin "root"."""
    await gateway.admins.create("root", ADMIN_PASSWORD)
    await visitor.get("/admin/login")
    response = await visitor.post("/admin/login", {"name": "root", "password": ADMIN_PASSWORD})
    assert response.status_code == 303
    await visitor.get("/admin")  # the signed-in session's form token
    return visitor


async def audited(gateway: Gateway) -> list[tuple[str, str, str]]:
    """(action, target, detail) of every audit entry, oldest first."""
    entries = await gateway.admins.audit(limit=100)
    return [(e.action, e.target, e.detail) for e in reversed(entries)]
