"""SMPP all the way: a customer ESME (smpplib) -> `smsgate run` -> SMPP connector ->
`smsgate simulator` -> receipt -> back to the customer's bind, with the balance checked."""

from __future__ import annotations

from typing import Any

import pytest

from smsgate.smpp import parse_receipt_text
from tests.e2e.gateway import (
    GatewayProcess,
    add_operator,
    part_connectors,
    smpp_exchange,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_smpp_in_smpp_out_with_receipts(gateway: GatewayProcess, operator: tuple[int, Any]) -> None:
    port, _ = operator
    gateway.cli("account", "create", "wholesale", "--credit", "1.00", "--password", "s3cret")
    gateway.cli("route", "add", "--prefix", "+39", "--connector", "op")
    add_operator(gateway, "op", port)

    sent, received = smpp_exchange(
        gateway.smpp_port,
        "wholesale",
        "s3cret",
        ["393331234567", "393330000001", "393339876543"],
        b"through two SMPP hops",
    )

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
