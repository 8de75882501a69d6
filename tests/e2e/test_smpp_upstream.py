"""Through real SMPP: `smsgate simulator` as the operator, `smsgate run`, CLI changes live."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import httpx
import pytest

from tests.e2e.gateway import (
    GatewayProcess,
    add_operator,
    free_port,
    part_connectors,
    simulated_operator,
    wait_for_log,
)

pytestmark = pytest.mark.e2e


def send(client: httpx.Client, to: str, text: str = "hello") -> str:
    response = client.post("/api/v1/messages", json={"to": to, "from": "smsgate", "text": text})
    assert response.status_code == 202, response.text
    message_id: str = response.json()["messages"][0]["id"]
    return message_id


def test_messages_reach_delivered_through_an_smpp_operator_added_while_running(
    gateway: GatewayProcess, operator: tuple[int, subprocess.Popen[str]]
) -> None:
    port, smsc = operator
    created: dict[str, Any] = gateway.cli("account", "create", "acme", "--credit", "1.00")
    with gateway.client(created["api_key"]) as client:
        before = send(client, "+393331234567")
        gateway.wait_for(client, before, {"delivered"})
        assert part_connectors(gateway, before)[0][0] == "simulator"

        # The route first: a route to a connector that is not running yet is skipped,
        # so the gateway uses it from the same poll that starts the connector.
        gateway.cli("route", "add", "--prefix", "+39", "--connector", "op")
        add_operator(gateway, "op", port)

        long_text = "".join(f"word{i:03d} " for i in range(30))  # 2 parts
        ids = [send(client, "+393331234567", long_text), send(client, "+393330000001")]
        delivered = gateway.wait_for(client, ids[0], {"delivered"})
        assert delivered["parts"] == 2
        undelivered = gateway.wait_for(client, ids[1], {"undelivered"})
        assert undelivered["error"]
        parts = part_connectors(gateway, ids[0])
        assert [c for c, _ in parts] == ["op", "op"]
        assert all(u.isdigit() for _, u in parts)
        # 0.05 per part: 1 + 2 + 1 parts
        assert client.get("/api/v1/balance").json()["balance"] == "0.80"

        gateway.cli("connector", "disable", "op")
        wait_for_log(gateway, "connector 'op' stopped")
        after = send(client, "+393331234567")
        gateway.wait_for(client, after, {"delivered"})
        assert part_connectors(gateway, after)[0][0] == "simulator"

    smsc.terminate()
    assert smsc.stdout is not None
    counters = smsc.stdout.read()
    assert "submits_received=3" in counters and "receipts_acked=3" in counters


def test_a_backlog_waits_for_an_operator_that_is_down(gateway: GatewayProcess) -> None:
    port = free_port()
    created: dict[str, Any] = gateway.cli("account", "create", "acme", "--credit", "1.00")
    gateway.cli("route", "add", "--prefix", "+39", "--connector", "op")
    add_operator(gateway, "op", port)
    with gateway.client(created["api_key"]) as client:
        ids = [send(client, f"+39333123456{i}") for i in range(3)]
        time.sleep(3)
        for message_id in ids:
            assert client.get(f"/api/v1/messages/{message_id}").json()["status"] == "queued"
        assert gateway.cli("connector", "show", "op")["held"] == 3
        assert 'smsgate_held_messages{connector="op"} 3.0' in client.get("/metrics").text

        with simulated_operator(port):
            for message_id in ids:
                gateway.wait_for(client, message_id, {"delivered"}, timeout=90)
                assert [c for c, _ in part_connectors(gateway, message_id)] == ["op"]
        [listed] = gateway.cli("connector", "list")["connectors"]
        assert (listed["name"], listed["held"]) == ("op", 0)


def test_a_lower_priority_route_carries_the_traffic_while_the_better_operator_is_down(
    gateway: GatewayProcess, operator: tuple[int, subprocess.Popen[str]]
) -> None:
    backup_port, _ = operator
    best_port = free_port()
    created: dict[str, Any] = gateway.cli("account", "create", "acme", "--credit", "5.00")
    gateway.cli("route", "add", "--prefix", "+39", "--connector", "best")
    gateway.cli("route", "add", "--prefix", "+39", "--connector", "backup", "--priority", "1")
    for name, port in (("best", best_port), ("backup", backup_port)):
        add_operator(gateway, name, port)
    with gateway.client(created["api_key"]) as client:
        # "best" has no operator to bind to: its messages go through "backup".
        ids = [send(client, f"+39333123456{i}") for i in range(3)]
        for message_id in ids:
            gateway.wait_for(client, message_id, {"delivered"}, timeout=30)
            assert [c for c, _ in part_connectors(gateway, message_id)] == ["backup"]

        # Once "best" binds, the traffic goes back to it.
        with simulated_operator(best_port):
            deadline = time.monotonic() + 60
            while True:
                message_id = send(client, "+393331234567")
                gateway.wait_for(client, message_id, {"delivered"}, timeout=30)
                if part_connectors(gateway, message_id)[0][0] == "best":
                    break
                assert time.monotonic() < deadline, "the traffic never went back to 'best'"
                time.sleep(1)


def test_a_hung_operator_does_not_hold_up_the_messages_to_another(
    gateway: GatewayProcess, operator: tuple[int, subprocess.Popen[str]]
) -> None:
    healthy_port, _ = operator
    hung_port = free_port()
    created: dict[str, Any] = gateway.cli("account", "create", "acme", "--credit", "5.00")
    gateway.cli("route", "add", "--prefix", "+391", "--connector", "hung")
    gateway.cli("route", "add", "--prefix", "+392", "--connector", "healthy")
    with simulated_operator(hung_port, "--hang"), gateway.client(created["api_key"]) as client:
        add_operator(gateway, "hung", hung_port)
        add_operator(gateway, "healthy", healthy_port)
        time.sleep(2.5)  # the routes are read with the connectors, every 2 s
        stuck = [send(client, f"+39133312345{i}") for i in range(3)]
        time.sleep(1)  # its window holds them now: the gateway waits on the hung operator
        ids = [send(client, f"+39233312345{i}") for i in range(10)]
        for message_id in ids:
            gateway.wait_for(client, message_id, {"sent", "delivered"}, timeout=20)
            assert [c for c, _ in part_connectors(gateway, message_id)] == ["healthy"]
        # All this within the hung operator's response timeout (30 s): its messages are
        # still waiting for their first answer.
        for message_id in stuck:
            body = client.get(f"/api/v1/messages/{message_id}").json()
            assert (body["status"], body.get("error")) == ("sending", None), body


def test_a_message_is_charged_for_the_parts_its_connector_sends(
    gateway: GatewayProcess, operator: tuple[int, subprocess.Popen[str]]
) -> None:
    port, smsc = operator
    created: dict[str, Any] = gateway.cli("account", "create", "acme", "--credit", "1.00")
    gateway.cli("route", "add", "--prefix", "+39", "--connector", "lat")
    gateway.cli("route", "add", "--prefix", "+3934", "--connector", "u16")
    other_port = free_port()
    cases = [("+393331234567", "a" * 160, "latin1", 2), ("+393401234567", "a" * 306, "gsm7", 3)]
    with simulated_operator(other_port) as other:
        connectors = (
            ("lat", port, "--default-alphabet", "latin1"),
            ("u16", other_port, "--concat", "udh16"),
        )
        for name, operator_port, option, value in connectors:
            gateway.cli(
                "connector", "add", name, "--host", "127.0.0.1", "--port", str(operator_port),
                "--system-id", "gw", "--password", "pw", "--id-format", "dec", option, value,
            )  # fmt: skip
            wait_for_log(gateway, f"connector '{name}' started")
        with gateway.client(created["api_key"]) as client:
            for to, text, encoding, parts in cases:
                body = {"to": to, "from": "smsgate", "text": text}
                quote = client.post("/api/v1/quote", json=body).json()
                assert (quote["encoding"], quote["parts"]) == (encoding, parts)
                message_id = send(client, to, text)
                delivered = gateway.wait_for(client, message_id, {"delivered"})
                assert (delivered["encoding"], delivered["parts"]) == (encoding, parts)
                assert len(part_connectors(gateway, message_id)) == parts
            # 0.05 per part: 2 + 3 parts
            assert client.get("/api/v1/balance").json()["balance"] == "0.75"
        for proc, submits in ((smsc, 2), (other, 3)):
            proc.terminate()
            assert proc.stdout is not None
            assert f"submits_received={submits}" in proc.stdout.read()
