"""What the operator's CLI shows of a message is what the customer's API shows."""

from __future__ import annotations

import pytest

from tests.e2e.gateway import GatewayProcess
from tests.e2e.test_message_life import send

pytestmark = pytest.mark.e2e


def test_messages_show_prints_the_api_view(gateway: GatewayProcess) -> None:
    assert gateway.demo_key is not None
    with gateway.client(gateway.demo_key) as client:
        [accepted] = send(client, "+393331234567")["messages"]
        api = gateway.wait_for(client, accepted["id"], {"delivered"})
        api = client.get(f"/api/v1/messages/{accepted['id']}").json()
    shown = gateway.cli("messages", "show", accepted["id"])
    parts = shown.pop("part_statuses")
    assert shown == {k: v for k, v in api.items() if k != "part_statuses"}
    assert isinstance(shown["created_at"], str) and shown["created_at"].endswith("Z")
    # The operator also sees which upstream took each part, and under which id.
    assert [(p["seq"], p["status"], p["connector"]) for p in parts] == [
        (1, "delivered", "simulator")
    ]
    assert parts[0]["upstream_id"]
    listed = gateway.cli("messages", "list", "demo")["messages"]
    assert listed == [shown]
