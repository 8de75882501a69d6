"""SMPP all the way: a customer ESME (smpplib) -> `smsgate run` -> SMPP connector ->
`smsgate simulator` -> receipt -> back to the customer's bind, with the balance checked."""

from __future__ import annotations

import time
from typing import Any

import pytest
import smpplib.client

from smsgate.smpp import parse_receipt_text
from tests.e2e.gateway import GatewayProcess, part_connectors, wait_for_log

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_smpp_in_smpp_out_with_receipts(gateway: GatewayProcess, operator: tuple[int, Any]) -> None:
    port, _ = operator
    gateway.cli("account", "create", "wholesale", "--credit", "1.00", "--password", "s3cret")
    gateway.cli("route", "add", "--prefix", "+39", "--connector", "op")
    gateway.cli(
        "connector", "add", "op", "--host", "127.0.0.1", "--port", str(port),
        "--system-id", "gw", "--password", "pw", "--id-format", "dec",
    )  # fmt: skip
    wait_for_log(gateway, "connector 'op' started")

    sent: list[Any] = []
    received: list[Any] = []
    client = smpplib.client.Client(
        "127.0.0.1", gateway.smpp_port, timeout=5, allow_unknown_opt_params=True
    )
    client.set_message_sent_handler(lambda pdu: sent.append(pdu))
    client.set_message_received_handler(lambda pdu: received.append(pdu))
    client.connect()
    try:
        client.bind_transceiver(system_id="wholesale", password="s3cret")
        for to in ("393331234567", "393330000001", "393339876543"):
            client.send_message(
                source_addr="smsgate",
                source_addr_ton=5,
                dest_addr_ton=1,
                destination_addr=to,
                short_message=b"through two SMPP hops",
                registered_delivery=1,
            )
        deadline = time.monotonic() + 60
        while len(sent) < 3 or len(received) < 3:
            assert time.monotonic() < deadline, f"sent={len(sent)} received={len(received)}"
            client.read_once()
        client.unbind()
    finally:
        client.disconnect()

    assert [pdu.status for pdu in sent] == [0, 0, 0]
    ids = {pdu.message_id.decode() for pdu in sent}
    assert {pdu.receipted_message_id.decode() for pdu in received} == ids
    stats = sorted(parse_receipt_text(pdu.short_message).stat for pdu in received)
    assert stats == ["DELIVRD", "DELIVRD", "UNDELIV"]
    for message_id in ids:
        [(connector, upstream_id)] = part_connectors(gateway, message_id)
        assert connector == "op" and upstream_id.isdigit()
    created = gateway.cli("account", "show", "wholesale")
    assert created["balance"] == "0.85"
