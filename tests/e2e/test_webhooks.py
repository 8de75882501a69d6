"""Final statuses reach the customer's callback_url, signed, and are retried on failure."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from smsgate.webhooks.signing import HEADER, verify
from tests.e2e.gateway import GatewayProcess

pytestmark = pytest.mark.e2e


class Receiver:
    """A local HTTP endpoint that fails its first `failures` requests with 500."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[tuple[int, bytes, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 500 if len(receiver.calls) < receiver.failures else 204
                receiver.calls.append((status, body, self.headers.get(HEADER, "")))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(failures=2) as r:
        yield r


def test_webhook_is_signed_and_retried(gateway: GatewayProcess, receiver: Receiver) -> None:
    created = gateway.cli("account", "create", "hooks", "--credit", "1.00")
    with gateway.client(created["api_key"]) as client:
        response = client.post(
            "/api/v1/messages",
            json={
                "to": "+393331234567",
                "from": "smsgate",
                "text": "hook me",
                "reference": "order-42",
                "callback_url": receiver.url,
            },
        )
        assert response.status_code == 202
        message_id = response.json()["messages"][0]["id"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(c[0] == 204 for c in receiver.calls):
            time.sleep(0.1)
    statuses = [c[0] for c in receiver.calls]
    assert statuses == [500, 500, 204], statuses
    for _, body, signature in receiver.calls:
        assert verify("e2e-secret", body, signature, now=int(time.time()))
        assert not verify("wrong-secret", body, signature, now=int(time.time()))
    event = json.loads(receiver.calls[-1][1])
    assert event["id"] == message_id
    assert event["reference"] == "order-42"
    assert event["status"] == "delivered"
    assert event["to"] == "+393331234567"
