"""MO an upstream sends with a data coding smsgate cannot read or a broken UDH: kept whole
as the raw bytes' hex with a flag (read back through the native API), acknowledged, and
delivered as 8-bit data to the account's bind; an aiosmpplib receiver gets decoded text."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiosmpplib import ESME
from aiosmpplib import DeliverSm as TheirDeliverSm
from aiosmpplib.broker import SimpleBroker
from aiosmpplib.state import BindMode

from smsgate.services.inbound import FLAG_CODING, FLAG_UDH
from tests.integration.gateway import http_client
from tests.integration.smpp_server.conftest import (
    ALICE_NUMBER,
    PASSWORD,
    PHONE,
    TwoWay,
    stop_aiosmpplib,
)
from tests.integration.smpp_server.test_mo_delivery import delivered_all, receive
from tests.integration.smpp_server.test_query_cancel_and_faults import RecordingHook

pytestmark = pytest.mark.timeout(90)
BROKEN_UDH = bytes((9, 0, 3, 1)) + b"header past the end"
UNKNOWN_CODING = b"\x82\xa0\x82\xa2"  # data_coding 0x05 (JIS): not supported


async def inbound_of(two_way: TwoWay) -> list[dict[str, Any]]:
    key = await two_way.gateway.accounts.create_key(two_way.alice.account)
    async with http_client(two_way.gateway.api_context()) as http:
        response = await http.get("/api/v1/inbound", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()["inbound"]
    return found


async def test_broken_mo_are_kept_flagged_and_delivered_as_their_bytes(two_way: TwoWay) -> None:
    assert await two_way.mo(ALICE_NUMBER, BROKEN_UDH, esm_class=0x40) == 0
    assert await two_way.mo(ALICE_NUMBER, UNKNOWN_CODING, data_coding=0x05) == 0
    assert await two_way.mo(ALICE_NUMBER, b"\xff\xfe\xfd", data_coding=0x00) == 0  # not GSM

    stored = [(m["text"], m["encoding"], m["parts"], m["flag"]) for m in await inbound_of(two_way)]
    assert stored == [
        ("fffefd", "binary", 1, FLAG_CODING),
        (UNKNOWN_CODING.hex(), "binary", 1, FLAG_CODING),
        (BROKEN_UDH.hex(), "binary", 1, FLAG_UDH),
    ]

    received = await asyncio.to_thread(receive, two_way.alice.port, 3)
    assert [(pdu.esm_class, pdu.data_coding, pdu.short_message) for pdu in received] == [
        (0, 0x04, BROKEN_UDH),
        (0, 0x04, UNKNOWN_CODING),
        (0, 0x04, b"\xff\xfe\xfd"),
    ]
    await delivered_all(two_way)


async def test_an_aiosmpplib_receiver_gets_mo_in_their_coding(two_way: TwoWay) -> None:
    assert await two_way.mo(ALICE_NUMBER, b"plain text") == 0
    assert await two_way.mo(ALICE_NUMBER, "Привет".encode("utf-16-be"), data_coding=8) == 0
    hook = RecordingHook()
    esme = ESME(
        smsc_host="127.0.0.1",
        smsc_port=two_way.alice.port,
        system_id="alice",
        password=PASSWORD,
        bind_mode=BindMode.RECEIVER,
        hook=hook,
        broker=SimpleBroker(),
        log_level=logging.WARNING,
        socket_timeout=5.0,
    )
    runner = asyncio.create_task(esme.start())
    try:
        async with asyncio.timeout(20):
            while len(hook.of(TheirDeliverSm)) < 2:
                hook.changed.clear()
                await hook.changed.wait()
        await delivered_all(two_way)
    finally:
        await stop_aiosmpplib(esme, runner)
    mo = hook.of(TheirDeliverSm)
    assert [m.short_message for m in mo] == ["plain text", "Привет"]
    assert {(m.source.number, m.source.ton, m.esm_class) for m in mo} == {(PHONE, 1, 0)}
