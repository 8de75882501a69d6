"""The console's system health through the real app: this process and the live node,
the store's size, the queue, held messages and the outboxes, on /admin/health and in
the summary of /admin."""

from __future__ import annotations

import os

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from smsgate.services.submit import SubmitCommand
from tests.integration.web.conftest import Visitor
from tests.integration.web.console import audited, operator

__all__ = ["operator"]


def tile(html: str, key: str) -> str:
    start = html.index(f'id="health-{key}">') + len(f'id="health-{key}">')
    return html[start : html.index("<", start)]


async def test_health_shows_processes_queues_and_outboxes(
    gateway: Gateway, operator: Visitor, alice: Account
) -> None:
    page = await operator.get("/admin/health")
    assert page.status_code == 200
    assert f'id="this-pid">{os.getpid()}<' in page.text
    assert "No live node" in page.text  # the roles have not started
    assert tile(page.text, "queue") == "0" and tile(page.text, "outboxes") == "0"
    in_memory = gateway.settings.database().startswith("memory://")
    assert (tile(page.text, "size") == "in memory") == in_memory
    if not in_memory:
        assert tile(page.text, "size").endswith("KiB")

    command = SubmitCommand(to=("+393331234567", "+393331234568"), sender="Shop", text="hi")
    await gateway.submit.submit(alice, command)
    await gateway.numbers.add("4000", account=alice, webhook_url="https://hooks.example/mo")
    await gateway.inbound.receive("simulator", "+393471111111", "4000", "hello", "gsm7", 1)
    await gateway.node.register()

    page = await operator.get("/admin/health")
    assert tile(page.text, "queue") == "2"
    assert tile(page.text, "nodes") == "1"
    assert gateway.node.node_id in page.text
    assert 'id="outbox-mo_webhooks">1<' in page.text
    assert 'id="outbox-webhooks">0<' in page.text and 'id="outbox-smpp">0<' in page.text
    assert tile(page.text, "outboxes") == "1"

    home = await operator.get("/admin")
    assert tile(home.text, "queue") == "2" and tile(home.text, "outboxes") == "1"
    assert 'href="/admin/health"' in home.text
    assert await audited(gateway) == []  # looking changes nothing
