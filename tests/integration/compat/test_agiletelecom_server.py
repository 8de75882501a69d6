"""Agile Telecom's documented examples against a real `smsgate run` on 127.0.0.1.

The bodies are the ones Agile publishes; only the base URL and credentials change.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.e2e.gateway import GatewayProcess

pytestmark = pytest.mark.e2e

# docs/eng-http-protocol-post-get, minus the "..." placeholder entry; the second
# destination is a well-formed Swiss mobile here.
LEGACY_EXAMPLE = {
    "globalId": "f9b865ef-5ce3-4e44-b65c-615fd71bbd09",
    "maxIdLen": 64,
    "enableConcatenated": True,
    "enableUnicode": True,
    "enableDelivery": True,
    "simulation": False,
    "messages": [
        {
            "destinations": ["41793026727", "41793025467"],
            "ids": ["157d541b-e0cd-4340-ac77-bc5d530dd90e", "d0f2e3c1-a043-418d-ad5e-0248184b9833"],
            "sender": "InfoSMS",
            "body": "This is a message.",
            "hexBody": False,
            "udhData": "070645670000",
            "scheduling": "2022-05-09 09:00:00.002+0200",
        }
    ],
}

# documentation/agile/guides/sending-sms, unchanged.
GUIDE_EXAMPLE = {
    "enableConcatenated": True,
    "enableUnicode": True,
    "messages": [
        {
            "destinations": ["+393351234567"],
            "sender": "Agile",
            "body": "Hello \u2014 your code is 12345. Reply STOP to opt out.",
        }
    ],
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GatewayProcess]:
    process = GatewayProcess(tmp_path)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def test_documented_calls_work_with_only_base_url_and_credentials_changed(
    server: GatewayProcess,
) -> None:
    assert server.demo_key is not None
    assert server.demo_password is not None
    demo = ("demo", server.demo_password)
    base = f"{server.base}/services"
    with httpx.Client(timeout=10) as client:
        credit = client.get(f"{base}/sms/credit", auth=demo)
        assert credit.json() == {"credit": 10}

        sent = client.post(
            f"{base}/sms/send", json=LEGACY_EXAMPLE, headers={"X-Api-Key": server.demo_key}
        )
        assert sent.status_code == 200, sent.text
        body = sent.json(parse_float=Decimal)
        assert [(r["destination"], r["id"], r["accepted"]) for r in body["results"]] == [
            ("+41793026727", "157d541b-e0cd-4340-ac77-bc5d530dd90e", True),
            ("+41793025467", "d0f2e3c1-a043-418d-ad5e-0248184b9833", True),
        ]
        assert body["cost"] == Decimal("0.1")

        guided = client.post(f"{base}/sms/send", json=GUIDE_EXAMPLE, auth=demo)
        assert guided.status_code == 200, guided.text
        assert guided.json()["sms"] == 1

        left = client.get(f"{base}/sms/credit", headers={"X-Api-Key": server.demo_key})
        assert left.content == b'{"credit":9.85}'

        lookup = client.get(
            f"{base}/mnp/number-lookup",
            params={"msisdn": "+39333123123"},
            headers={"X-Api-Key": server.demo_key},
        )
        assert lookup.status_code == 200
        assert lookup.json()["number"] == "+39333123123"

        native = server.client(server.demo_key)
        with native:
            message_id = body["results"][0]["messageId"]
            final = server.wait_for(native, message_id, {"delivered"})
            assert final["to"] == "+41793026727"
