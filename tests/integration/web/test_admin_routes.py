"""The console's route table through the real app: routes added for all accounts or one,
with a failover priority, listed and removed; bad input changes nothing."""

from __future__ import annotations

import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from tests.integration.web.conftest import Visitor
from tests.integration.web.console import audited, operator

__all__ = ["operator"]
SETTINGS = {"host": "127.0.0.1", "port": 2775, "system_id": "a", "password": "b"}


async def test_routes_are_added_listed_and_removed(
    gateway: Gateway, operator: Visitor, alice: Account
) -> None:
    await gateway.connectors.add("op1", "smpp", SETTINGS)
    main = {"prefix": "+39", "connector": "op1", "account": "", "priority": "0"}
    backup = {"prefix": "39", "connector": "simulator", "account": "alice", "priority": "10"}
    assert (await operator.post("/admin/routes", main)).headers["location"] == "/admin/routes"
    assert (await operator.post("/admin/routes", backup)).status_code == 303
    first, second = await gateway.routes.list()
    assert (first.prefix, first.connector, first.account_id, first.priority) == (
        "39",
        "op1",
        None,
        0,
    )
    assert (second.connector, second.account_id, second.priority) == ("simulator", alice.id, 10)

    page = await operator.get("/admin/routes")
    assert page.status_code == 200
    assert "<td>+39</td>" in page.text and "<td>all</td>" in page.text
    assert "<td>alice</td>" in page.text and "<option>op1</option>" in page.text

    removed = await operator.post(f"/admin/routes/{first.id}/remove", {})
    assert removed.status_code == 303
    assert await gateway.routes.list() == [second]
    assert await audited(gateway) == [
        ("route.add", "+39 -> op1", "priority=0"),
        ("route.add", "+39 -> simulator", "priority=10 account=alice"),
        ("route.remove", str(first.id), ""),
    ]


@pytest.mark.parametrize(
    ("changes", "status", "error"),
    [
        ({"prefix": "+3x"}, 400, "a route prefix is digits, +digits or *"),
        ({"connector": "ghost"}, 400, "no connector &#39;ghost&#39;"),
        ({"account": "nobody"}, 404, "nobody"),
        ({"priority": "high"}, 400, "the priority is a whole number"),
        ({"priority": "99999999999"}, 400, "the priority is a whole number"),
    ],
)
async def test_bad_routes_are_shown_and_change_nothing(
    gateway: Gateway, operator: Visitor, changes: dict[str, str], status: int, error: str
) -> None:
    form = {"prefix": "+39", "connector": "simulator", "account": "", "priority": "0", **changes}
    refused = await operator.post("/admin/routes", form)
    assert refused.status_code == status
    assert error in refused.text and 'role="alert"' in refused.text
    assert f'value="{form["prefix"]}"' in refused.text
    assert await gateway.routes.list() == []
    assert await audited(gateway) == []


async def test_removing_a_route_that_is_not_there_changes_nothing(
    gateway: Gateway, operator: Visitor
) -> None:
    assert (await operator.post("/admin/routes/7/remove", {})).status_code == 404
    forged = await operator.post(
        "/admin/routes", {"prefix": "*", "connector": "simulator"}, csrf=False
    )
    assert forged.status_code == 403
    assert await gateway.routes.list() == []
    assert await audited(gateway) == []
