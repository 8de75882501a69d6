"""MO from an upstream SMSC reach an account's receiver binds as deliver_sm (smpplib and
aiosmpplib customers), on SQLite and PostgreSQL: data coding, long MO as UDH parts or
message_payload, held until a bind, retried until every PDU is answered 0."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import smpplib.gsm

from smsgate.services.inbound_plan import PAYLOAD
from smsgate.text import Encoding, encode
from tests.integration.smpp_server.conftest import (
    ALICE_NUMBER,
    PASSWORD,
    PHONE,
    SHORT_CODE,
    Esme,
    TwoWay,
)

pytestmark = pytest.mark.timeout(90)
LONG = " ".join(f"part{i:03d}" for i in range(50))  # 399 GSM characters: 3 parts


def receive(
    port: int,
    count: int,
    *,
    bind: str = "receiver",
    answer: Callable[[Any], int | None] = lambda pdu: None,
) -> list[Any]:
    """Bind as alice and read until `count` deliver_sm came; `answer` gives each one's
    deliver_sm_resp status (None: 0) or raises to drop the connection unanswered."""
    esme = Esme(port)
    received: list[Any] = []

    def handle(pdu: Any) -> int | None:
        received.append(pdu)
        return answer(pdu)

    esme.client.set_message_received_handler(handle)
    try:
        getattr(esme.client, f"bind_{bind}")(system_id="alice", password=PASSWORD)
        esme.read_until(lambda: len(received) >= count, seconds=30)
    finally:
        esme.close()
    return received


async def delivered_all(two_way: TwoWay) -> None:
    async with asyncio.timeout(20):
        while await two_way.pending():
            await asyncio.sleep(0.05)


async def test_mo_wait_for_a_bind_then_reach_it_routed_by_number_and_keyword(
    two_way: TwoWay,
) -> None:
    assert await two_way.mo(ALICE_NUMBER, b"Hello alice") == 0
    assert await two_way.mo(SHORT_CODE, b"Pizza margherita") == 0
    assert await two_way.mo(SHORT_CODE, b"for bob") == 0  # bob has no SMPP delivery
    held = await two_way.pending()
    assert [item.inbound.text for item in held if item.inbound] == [
        "Hello alice",
        "Pizza margherita",
    ]

    received = await asyncio.to_thread(receive, two_way.alice.port, 2, bind="transceiver")
    fields = [
        (
            pdu.esm_class,
            pdu.data_coding,
            (pdu.source_addr_ton, pdu.source_addr_npi, pdu.source_addr),
            (pdu.dest_addr_ton, pdu.dest_addr_npi, pdu.destination_addr),
            pdu.short_message,
        )
        for pdu in received
    ]
    assert fields == [
        (0, 0, (1, 1, PHONE.encode()), (1, 1, ALICE_NUMBER.encode()), b"Hello alice"),
        (0, 0, (1, 1, PHONE.encode()), (0, 1, SHORT_CODE.encode()), b"Pizza margherita"),
    ]
    await delivered_all(two_way)


@pytest.mark.parametrize(
    ("data_coding", "body", "sent_as"),
    [
        pytest.param(0x00, encode("Ciao @ 10€ {ok}", Encoding.GSM7), 0x00, id="gsm7"),
        pytest.param(0x08, "Привет, мир 👋".encode("utf-16-be"), 0x08, id="ucs2"),
        pytest.param(0x03, "Già così".encode("latin-1"), 0x03, id="latin1"),
        pytest.param(0x01, b"IA5 text", 0x03, id="ia5-as-latin1"),
        pytest.param(0x04, bytes(range(0, 256, 7)), 0x04, id="binary"),
    ],
)
async def test_an_mo_keeps_its_data_coding(
    two_way: TwoWay, data_coding: int, body: bytes, sent_as: int
) -> None:
    assert await two_way.mo(ALICE_NUMBER, body, data_coding=data_coding) == 0
    [pdu] = await asyncio.to_thread(receive, two_way.alice.port, 1)
    assert (pdu.esm_class, pdu.data_coding, pdu.short_message) == (0, sent_as, body)
    await delivered_all(two_way)


async def upstream_parts(two_way: TwoWay, text: str) -> None:
    """Deliver `text` upstream as UDH parts (split by smpplib, not by smsgate)."""
    parts, data_coding, esm_class = smpplib.gsm.make_parts(text)
    assert len(parts) == 3
    for part in parts:
        status = await two_way.mo(ALICE_NUMBER, part, data_coding=data_coding, esm_class=esm_class)
        assert status == 0


async def test_a_long_mo_reaches_the_bind_as_udh_parts(two_way: TwoWay) -> None:
    await upstream_parts(two_way, LONG)
    [held] = await two_way.pending()
    assert held.inbound is not None and (held.inbound.text, held.inbound.parts) == (LONG, 3)

    received = await asyncio.to_thread(receive, two_way.alice.port, 3)
    headers = [pdu.short_message[:6] for pdu in received]
    reference = headers[0][3]
    assert headers == [bytes((5, 0, 3, reference, 3, seq)) for seq in (1, 2, 3)]
    assert {(pdu.esm_class, pdu.data_coding) for pdu in received} == {(0x40, 0)}
    joined = b"".join(pdu.short_message[6:] for pdu in received)
    assert joined.decode("ascii") == LONG  # letters, digits, spaces: GSM 03.38 is ASCII here
    await delivered_all(two_way)


async def test_a_long_mo_reaches_the_bind_in_message_payload(two_way: TwoWay) -> None:
    await two_way.smpp_long(PAYLOAD)
    await upstream_parts(two_way, LONG)
    [pdu] = await asyncio.to_thread(receive, two_way.alice.port, 1)
    assert (pdu.esm_class, pdu.data_coding) == (0, 0)
    assert pdu.sm_length == 0 and not pdu.short_message
    assert pdu.message_payload == LONG.encode("ascii")
    await delivered_all(two_way)


async def test_an_mo_refused_by_the_customer_comes_again(two_way: TwoWay) -> None:
    assert await two_way.mo(ALICE_NUMBER, b"first try") == 0
    answers = iter([0x64])  # ESME_RX_T_APPN, then 0

    received = await asyncio.to_thread(
        receive, two_way.alice.port, 2, answer=lambda pdu: next(answers, None)
    )
    assert [pdu.short_message for pdu in received] == [b"first try", b"first try"]
    await delivered_all(two_way)


async def test_every_part_must_be_acknowledged(two_way: TwoWay) -> None:
    await upstream_parts(two_way, LONG)
    answers = iter([None, 0x64])  # the second part refused: the three come again

    received = await asyncio.to_thread(
        receive, two_way.alice.port, 5, answer=lambda pdu: next(answers, None)
    )
    assert [pdu.short_message[5] for pdu in received] == [1, 2, 1, 2, 3]
    assert len({pdu.short_message[3] for pdu in received}) == 1  # one reference throughout
    await delivered_all(two_way)


class Dropped(Exception):
    pass


def drop(pdu: Any) -> int | None:
    raise Dropped


async def test_an_mo_whose_bind_is_lost_before_it_answers_stays_pending(two_way: TwoWay) -> None:
    assert await two_way.mo(ALICE_NUMBER, b"are you there?") == 0
    with pytest.raises(Dropped):
        await asyncio.to_thread(receive, two_way.alice.port, 1, answer=drop)
    assert [item.inbound.text for item in await two_way.pending() if item.inbound] == [
        "are you there?"
    ]
    [pdu] = await asyncio.to_thread(receive, two_way.alice.port, 1)
    assert pdu.short_message == b"are you there?"
    await delivered_all(two_way)
