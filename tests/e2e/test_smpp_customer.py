"""A customer ESME (smpplib) -> `smsgate run` -> simulated operator -> receipt on its bind."""

from __future__ import annotations

import pytest

from smsgate.smpp import parse_receipt_text
from tests.e2e.gateway import GatewayProcess, smpp_exchange

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]


def test_smpp_customer_gets_receipts_and_pays(gateway: GatewayProcess) -> None:
    assert gateway.demo_key is not None
    assert gateway.demo_password is not None
    sent, received = smpp_exchange(
        gateway.smpp_port,
        "demo",
        gateway.demo_password,
        ["393331234567", "393330000001"],
        b"hello over SMPP",
    )
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
