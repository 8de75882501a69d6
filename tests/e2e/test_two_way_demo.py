"""Two-way SMS out of the box, on a real `smsgate run`: the demo account's short code and
the lines that say how to try it, `smsgate simulator mo` into the running gateway, and
the simulated operator's auto-reply number answering an MT with an MO."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsgate.connectors.simulated_operator import AUTO_REPLY_NUMBER
from smsgate.demo import DEMO_NUMBER
from tests.e2e.gateway import GatewayProcess

pytestmark = pytest.mark.e2e


def inbound(client: httpx.Client, count: int, timeout: float = 20) -> list[dict[str, Any]]:
    """The account's MO, newest first, once there are `count` of them."""
    deadline = time.monotonic() + timeout
    items: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        items = client.get("/api/v1/inbound").json()["inbound"]
        if len(items) >= count:
            return items
        time.sleep(0.05)
    raise AssertionError(f"{len(items)} MO, not {count}: {items}")


def test_the_demo_account_gets_a_number_and_how_to_try_it(tmp_path: Path) -> None:
    gateway = GatewayProcess(tmp_path)
    gateway.start()
    try:
        printed = "".join(gateway.printed)
        assert (
            f".venv/bin/smsgate simulator mo --from +393331234567 --to {DEMO_NUMBER} "
            '--text "INFO"' in printed
        )
        assert f"curl -s {gateway.base}/api/v1/inbound -H 'Authorization: Bearer " in printed
        assert f'"to": "{AUTO_REPLY_NUMBER}", "from": "{DEMO_NUMBER}"' in printed
        numbers = gateway.cli("number", "list")["numbers"]
        assert [(n["number"], n["account"], n["default_account"]) for n in numbers] == [
            (DEMO_NUMBER, None, "demo")
        ]
        gateway.stop()
        gateway.start()
        assert "demo" not in "".join(gateway.printed)
        assert gateway.cli("number", "list")["numbers"] == numbers
    finally:
        gateway.stop()


def test_an_injected_mo_and_an_auto_reply_reach_the_demo_account(tmp_path: Path) -> None:
    gateway = GatewayProcess(tmp_path)
    gateway.start()
    assert gateway.demo_key is not None
    try:
        injected = subprocess.run(
            [sys.executable, "-m", "smsgate", "simulator", "mo", "--from", "+393331234567",
             "--to", DEMO_NUMBER, "--text", "INFO"],
            env=gateway.env, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        assert injected.stdout.endswith(f"to {DEMO_NUMBER}: routed to demo\n")
        with gateway.client(gateway.demo_key) as client:
            [first] = inbound(client, 1)
            assert (first["from"], first["to"], first["text"]) == ("+393331234567", "3000", "INFO")
            sent = client.post(
                "/api/v1/messages",
                json={"to": AUTO_REPLY_NUMBER, "from": DEMO_NUMBER, "text": "Hello, é"},
            )
            assert sent.status_code == 202, sent.text
            message_id = sent.json()["messages"][0]["id"]
            gateway.wait_for(client, message_id, {"delivered"})
            reply, _ = inbound(client, 2)
            assert (reply["from"], reply["to"], reply["text"]) == (
                AUTO_REPLY_NUMBER,
                DEMO_NUMBER,
                "Auto-reply: Hello, é",
            )
            assert (reply["encoding"], reply["parts"]) == ("gsm7", 1)
            other = client.post(
                "/api/v1/messages", json={"to": "+393331234567", "from": DEMO_NUMBER, "text": "x"}
            )
            gateway.wait_for(client, other.json()["messages"][0]["id"], {"delivered"})
            assert len(inbound(client, 2)) == 2
    finally:
        gateway.stop()
