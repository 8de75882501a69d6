"""A customer sends over HTTP, pays, and sees each simulator outcome (real subprocess)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.e2e.gateway import GatewayProcess

pytestmark = pytest.mark.e2e


def send(client: httpx.Client, to: str, **extra: object) -> dict[str, Any]:
    response = client.post(
        "/api/v1/messages", json={"to": to, "from": "smsgate", "text": "hello", **extra}
    )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def test_demo_account_sends_and_is_charged(gateway: GatewayProcess) -> None:
    assert gateway.demo_key is not None
    with gateway.client(gateway.demo_key) as client:
        assert client.get("/api/v1/balance").json() == {"balance": "10.00", "currency": "EUR"}
        accepted = send(client, "+393331234567")
        assert accepted["cost"] == "0.05"
        [message] = accepted["messages"]
        done = gateway.wait_for(client, message["id"], {"delivered"})
        assert done["sent_at"] and done["done_at"]
        assert client.get("/api/v1/balance").json()["balance"] == "9.95"
        entries = client.get("/api/v1/ledger").json()["entries"]
        assert [e["kind"] for e in entries] == ["charge", "topup"]
        assert entries[0]["amount"] == "-0.05"


def test_simulator_outcomes(gateway: GatewayProcess) -> None:
    created = gateway.cli("account", "create", "outcomes", "--credit", "1.00")
    with gateway.client(created["api_key"]) as client:
        ids = {}
        for to in ("+393330000001", "+393330000002", "+393331110000"):
            [message] = send(client, to)["messages"]
            ids[to] = message["id"]
        assert gateway.wait_for(client, ids["+393330000001"], {"undelivered"})["error"]
        rejected = gateway.wait_for(client, ids["+393330000002"], {"rejected"})
        assert rejected["error"]
        assert rejected["cost"] == "0.00", "a refunded message shows what it keeps charged"
        gateway.wait_for(client, ids["+393331110000"], {"delivered"})
        undelivered = client.get(f"/api/v1/messages/{ids['+393330000001']}").json()
        assert undelivered["cost"] == "0.05"
        # The rejected message was refunded; the undelivered one stays charged.
        assert client.get("/api/v1/balance").json()["balance"] == "0.90"
        kinds = [e["kind"] for e in client.get("/api/v1/ledger").json()["entries"]]
        assert kinds.count("refund") == 1


def test_silent_number_expires_after_its_validity(gateway: GatewayProcess) -> None:
    created = gateway.cli("account", "create", "expiry", "--credit", "1.00")
    with gateway.client(created["api_key"]) as client:
        [message] = send(client, "+393330000003", validity=60)["messages"]
        sent = gateway.wait_for(client, message["id"], {"sent"})
        assert sent["done_at"] is None
        time.sleep(55)
        expired = gateway.wait_for(client, message["id"], {"expired"}, timeout=20)
        assert expired["done_at"] is not None
        # Handed to the operator, so it stays charged.
        assert client.get("/api/v1/balance").json()["balance"] == "0.95"


def test_scheduled_message_waits_and_can_be_cancelled(gateway: GatewayProcess) -> None:
    created = gateway.cli("account", "create", "sched", "--credit", "1.00")
    with gateway.client(created["api_key"]) as client:
        soon = time.time() + 2
        later = time.time() + 3600
        [first] = send(client, "+393331234567", scheduled_at=soon)["messages"]
        [second] = send(client, "+393331234568", scheduled_at=later)["messages"]
        assert first["status"] == "scheduled"
        assert client.get("/api/v1/balance").json()["balance"] == "0.90"
        cancelled = client.post(f"/api/v1/messages/{second['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert client.get("/api/v1/balance").json()["balance"] == "0.95"
        again = client.post(f"/api/v1/messages/{second['id']}/cancel")
        assert again.status_code == 409
        early = client.get(f"/api/v1/messages/{first['id']}").json()
        assert early["status"] == "scheduled"
        gateway.wait_for(client, first["id"], {"delivered"}, timeout=15)
