"""A customer ESME (smpplib) -> `smsgate run` -> simulated operator -> receipt on its bind."""

from __future__ import annotations

import time
from typing import Any

import pytest
import smpplib.client

from smsgate.smpp import parse_receipt_text
from tests.e2e.gateway import GatewayProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]


def test_smpp_customer_gets_receipts_and_pays(gateway: GatewayProcess) -> None:
    assert gateway.demo_key is not None
    sent: list[Any] = []
    received: list[Any] = []
    client = smpplib.client.Client(
        "127.0.0.1", gateway.smpp_port, timeout=5, allow_unknown_opt_params=True
    )
    client.set_message_sent_handler(lambda pdu: sent.append(pdu))
    client.set_message_received_handler(lambda pdu: received.append(pdu))
    client.connect()
    try:
        client.bind_transceiver(system_id="demo", password="demo123")
        for to in ("393331234567", "393330000001"):
            client.send_message(
                source_addr="smsgate",
                source_addr_ton=5,
                dest_addr_ton=1,
                destination_addr=to,
                short_message=b"hello over SMPP",
                registered_delivery=1,
            )
        deadline = time.monotonic() + 30
        while len(sent) < 2 or len(received) < 2:
            assert time.monotonic() < deadline, f"sent={sent} received={received}"
            client.read_once()
        client.unbind()
    finally:
        client.disconnect()
    assert [pdu.status for pdu in sent] == [0, 0]
    ids = {pdu.message_id.decode() for pdu in sent}
    stats = {parse_receipt_text(pdu.short_message).stat for pdu in received}
    assert {pdu.receipted_message_id.decode() for pdu in received} == ids
    assert stats == {"DELIVRD", "UNDELIV"}
    with gateway.client(gateway.demo_key) as http:
        assert http.get("/api/v1/balance").json()["balance"] == "9.90"
        for message_id in ids:
            assert http.get(f"/api/v1/messages/{message_id}").json()["status"] in (
                "delivered",
                "undelivered",
            )
