"""A message sent through `smsgate run` (core and HTTP worker processes) on each event
loop: uvloop's and asyncio's, the fallback when uvloop is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.gateway import running_gateway

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_a_message_is_delivered_on_each_event_loop(tmp_path: Path, loop: str) -> None:
    with running_gateway(tmp_path, event_loop=loop, http_workers="1") as gateway:
        assert gateway.demo_key is not None
        with gateway.client(gateway.demo_key) as client:
            response = client.post(
                "/api/v1/messages", json={"to": "+393331234567", "from": "smsgate", "text": "hi"}
            )
            assert response.status_code == 202, response.text
            [message] = response.json()["messages"]
            gateway.wait_for(client, message["id"], {"delivered"})
        # The core process and its HTTP worker both said which loop they run.
        assert gateway.log_tail().count(f"event loop: {loop}") == 2
