"""MO an operator sends broken (data coding, UDH, SAR numbering) over a real bind: each is
kept whole as the raw bytes' hex with its flag, acknowledged, and the bind carries on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import pytest

from smsgate.connectors.smpp import SmppUpstream
from smsgate.connectors.smpp_settings import SmppSettings
from smsgate.services.clock import SystemClock
from smsgate.services.inbound import FLAG_CODING, FLAG_UDH
from smsgate.smpp import tlv
from smsgate.smpp.smsc_simulator import SmscSimulator
from smsgate.text import Encoding, encode
from tests.integration.connectors.test_smpp_upstream import Collected
from tests.unit.connectors.messages import outgoing

pytestmark = pytest.mark.timeout(60)
PHONE, NUMBER = "393331234567", "4000"


@pytest.fixture
async def bound() -> AsyncIterator[tuple[SmscSimulator, Collected]]:
    smsc = SmscSimulator("127.0.0.1", 0, credentials={"gw": "pw"}, receipt_delay=0.05)
    await smsc.start()
    collected = Collected()
    settings = SmppSettings.from_json(
        {"host": "127.0.0.1", "port": smsc.port, "system_id": "gw", "password": "pw"}
    )
    upstream = SmppUpstream("op", settings, SystemClock(), collected.inbound)
    await upstream.start(collected.sink)
    try:
        assert (await upstream.submit(outgoing("Hello"))).accepted  # bound once this returns
        yield smsc, collected
    finally:
        await upstream.close()
        await smsc.stop()


async def deliver(
    smsc: SmscSimulator,
    body: bytes,
    *,
    data_coding: int = 0,
    esm_class: int = 0,
    tlvs: Mapping[int, tlv.TlvValue] | None = None,
) -> int:
    response = await smsc.inject_mo(
        PHONE,
        NUMBER,
        body,
        data_coding=data_coding,
        esm_class=esm_class,
        system_id="gw",
        tlvs=tlvs,
    )
    return response.command_status


BROKEN_UDH = [
    pytest.param(bytes((9, 0, 3, 1)) + b"x", id="header-longer-than-message"),
    pytest.param(bytes((5, 0, 3, 7, 0, 1)) + b"total zero", id="concat-total-0"),
    pytest.param(bytes((5, 0, 3, 7, 2, 3)) + b"seq 3 of 2", id="concat-seq-past-total"),
    pytest.param(bytes((5, 0, 3, 7, 2, 0)) + b"seq 0", id="concat-seq-0"),
    pytest.param(bytes((4, 0, 3, 7, 2)) + b"cut element", id="element-overruns-header"),
    pytest.param(bytes((2, 0)), id="element-cut-by-header-end"),
    pytest.param(bytes((3, 0, 1, 7)) + b"short concat", id="concat-element-too-short"),
]


@pytest.mark.parametrize("body", BROKEN_UDH)
async def test_a_broken_udh_is_kept_whole_as_hex(
    bound: tuple[SmscSimulator, Collected], body: bytes
) -> None:
    smsc, collected = bound
    assert await deliver(smsc, body, esm_class=0x40) == 0
    assert collected.mo == [("op", PHONE, NUMBER, body.hex(), "binary", 1)]
    assert collected.store.flags == [FLAG_UDH]


async def test_an_empty_message_with_udhi_is_kept_flagged(
    bound: tuple[SmscSimulator, Collected],
) -> None:
    smsc, collected = bound
    assert await deliver(smsc, b"", esm_class=0x40) == 0
    assert collected.mo == [("op", PHONE, NUMBER, "", "binary", 1)]
    assert collected.store.flags == [FLAG_UDH]


async def test_sar_numbering_no_part_can_have_is_kept_flagged(
    bound: tuple[SmscSimulator, Collected],
) -> None:
    smsc, collected = bound
    sar = {
        tlv.SAR_MSG_REF_NUM.tag: 5,
        tlv.SAR_TOTAL_SEGMENTS.tag: 2,
        tlv.SAR_SEGMENT_SEQNUM.tag: 4,
    }
    assert await deliver(smsc, b"part four of two", tlvs=sar) == 0
    assert collected.mo == [("op", PHONE, NUMBER, b"part four of two".hex(), "binary", 1)]
    assert collected.store.flags == [FLAG_UDH]


@pytest.mark.parametrize(
    ("data_coding", "body"),
    [
        pytest.param(0x05, b"\x82\xa0JIS", id="jis-unsupported"),
        pytest.param(0x0E, b"\xb0\xa1 KS C 5601", id="korean-unsupported"),
        pytest.param(0x30, b"compressed", id="compressed-text"),
        pytest.param(0x08, b"\x04\x1f\x04", id="ucs2-odd-length"),
        pytest.param(0x08, b"\xd8\x00\x00A", id="ucs2-lone-surrogate"),
        pytest.param(0x00, b"\x80\x81", id="gsm7-not-septets"),
    ],
)
async def test_a_data_coding_it_cannot_read_is_kept_as_hex(
    bound: tuple[SmscSimulator, Collected], data_coding: int, body: bytes
) -> None:
    smsc, collected = bound
    assert await deliver(smsc, body, data_coding=data_coding) == 0
    assert collected.mo == [("op", PHONE, NUMBER, body.hex(), "binary", 1)]
    assert collected.store.flags == [FLAG_CODING]


async def test_binary_data_is_binary_without_a_flag(
    bound: tuple[SmscSimulator, Collected],
) -> None:
    smsc, collected = bound
    assert await deliver(smsc, b"\x00\x01\xfe", data_coding=0x04) == 0
    assert collected.mo == [("op", PHONE, NUMBER, "0001fe", "binary", 1)]
    assert collected.store.flags == [None]


async def test_parts_in_an_unknown_data_coding_are_joined_and_flagged(
    bound: tuple[SmscSimulator, Collected],
) -> None:
    smsc, collected = bound
    for sequence, piece in ((1, b"\x82\xa0"), (2, b"\x82\xa2")):
        udh = bytes((5, 0, 3, 9, 2, sequence))
        assert await deliver(smsc, udh + piece, data_coding=0x05, esm_class=0x40) == 0
    assert collected.mo == [("op", PHONE, NUMBER, "82a082a2", "binary", 2)]
    assert collected.store.flags == [FLAG_CODING]


async def test_the_bind_carries_on_after_broken_mo(
    bound: tuple[SmscSimulator, Collected],
) -> None:
    smsc, collected = bound
    assert await deliver(smsc, bytes((9, 0)), esm_class=0x40) == 0
    assert await deliver(smsc, b"JIS", data_coding=0x05) == 0
    assert await deliver(smsc, encode("Ciao!", Encoding.GSM7)) == 0
    assert collected.mo[-1] == ("op", PHONE, NUMBER, "Ciao!", "gsm7", 1)
    assert collected.store.flags == [FLAG_UDH, FLAG_CODING, None]
    assert smsc.counters.binds == 1  # never dropped and bound again
