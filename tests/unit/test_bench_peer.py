"""The comparison peer's own SMPP and HTTP handling, checked against smsgate's codec."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from bench.compare import peer
from smsgate.smpp import (
    DataCoding,
    DataSm,
    DeliverSm,
    EsmClass,
    MessageState,
    SubmitSm,
    SubmitSmResp,
    connect,
    decode,
    encode,
    parse_receipt_text,
    receipt_from_pdu,
    tlv,
)

TAG = "cmp0123abcd"


BASE = SubmitSm(
    sequence_number=7,
    service_type="CMT",
    source_addr_ton=5,
    source_addr="bench",
    dest_addr_ton=1,
    dest_addr_npi=1,
    destination_addr="393331234567",
    validity_period="000001000000000R",
    registered_delivery=1,
    short_message=f"{TAG} 000042".encode(),
)


def submit(**fields: Any) -> bytes:
    return encode(replace(BASE, **fields))


def test_reads_addresses_flags_and_text() -> None:
    parsed = peer.parse_submit_sm(submit())
    assert parsed.source == (5, 0, "bench")
    assert parsed.destination == (1, 1, "393331234567")
    assert parsed.registered_delivery == 1
    assert parsed.text == f"{TAG} 000042"


def test_reads_ucs2_text_and_skips_a_udh() -> None:
    udh = bytes((5, 0, 3, 0x2A, 2, 1))
    frame = submit(
        esm_class=EsmClass.UDHI,
        data_coding=DataCoding.UCS2,
        short_message=udh + f"{TAG} 000001".encode("utf-16-be"),
    )
    assert peer.parse_submit_sm(frame).text == f"{TAG} 000001"


def test_message_payload_wins_over_an_empty_short_message() -> None:
    frame = submit(short_message=b"", tlvs={tlv.MESSAGE_PAYLOAD.tag: f"{TAG} 000009".encode()})
    assert peer.parse_submit_sm(frame).text == f"{TAG} 000009"


def test_submit_sm_resp_carries_a_decimal_id() -> None:
    answer = decode(peer.pdu(0x80000004, 7, b"123\0"))
    assert isinstance(answer, SubmitSmResp)
    assert (answer.sequence_number, answer.message_id) == (7, "123")


def test_receipt_reads_back_as_delivered_with_its_tlvs() -> None:
    original = peer.parse_submit_sm(submit())
    now = time.time()
    receipt = decode(peer.pdu(peer.DELIVER_SM, 9, peer.receipt_body("4711", original, now, now)))
    assert isinstance(receipt, DeliverSm)
    assert receipt.sequence_number == 9
    assert receipt.esm_class == EsmClass.DELIVERY_RECEIPT
    assert (receipt.source_addr_ton, receipt.source_addr) == (1, "393331234567")
    assert (receipt.dest_addr_ton, receipt.destination_addr) == (5, "bench")
    assert receipt.tlvs[tlv.RECEIPTED_MESSAGE_ID.tag] == "4711"
    assert receipt.tlvs[tlv.MESSAGE_STATE.tag] == MessageState.DELIVERED
    text = parse_receipt_text(receipt.short_message)
    assert (text.message_id, text.stat, text.error) == ("4711", "DELIVRD", "000")
    assert (text.submitted, text.delivered) == (1, 1)
    assert len(text.submit_date) == len(text.done_date) == 10
    assert text.text == f"{TAG} 000042"
    assert receipt_from_pdu(receipt).state == MessageState.DELIVERED


def test_http_requests_are_taken_whole() -> None:
    buf = bytearray(b"POST /callback/x HTTP/1.1\r\nContent-Length: 4\r\n\r\nab")
    assert peer.take_request(buf) is None
    buf += b"cdGET /next?tag=1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
    assert peer.take_request(buf) == (b"POST /callback/x HTTP/1.1\r\nContent-Length: 4", b"abcd")
    assert peer.take_request(buf) is None
    buf += b"1\r\nd\r\n0\r\n\r\n"
    request = peer.take_request(buf)
    assert request is not None and request[1] == b"abcd"
    assert buf == b""


@pytest.fixture
async def sink() -> AsyncIterator[tuple[peer.Peer, int]]:
    state = peer.Peer()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: peer.SinkSession(state), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield state, port
    server.close()
    await server.wait_closed()


async def test_counts_submits_and_sends_receipts_to_the_bind(
    sink: tuple[peer.Peer, int],
) -> None:
    state, port = sink
    state.counts(TAG).receipts = True
    receipts: list[DeliverSm] = []

    async def on_message(pdu: DeliverSm | DataSm) -> int:
        assert isinstance(pdu, DeliverSm)
        receipts.append(pdu)
        return 0

    client = await connect(
        "127.0.0.1", port, system_id="gw", password="pw", window=10, on_message=on_message,
        reconnect=False,
    )  # fmt: skip
    try:
        ids = []
        for seq in (1, 2, 2):
            answer = await client.submit(
                SubmitSm(
                    destination_addr=f"39333000000{seq}",
                    registered_delivery=1,
                    short_message=f"{TAG} {seq:06d}".encode(),
                )
            )
            ids.append(answer.message_id)
        await client.submit(SubmitSm(destination_addr="393330000009", short_message=b"hello"))
        deadline = time.monotonic() + 5
        while len(receipts) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    finally:
        await client.close()
    counts = state.counts(TAG)
    assert (len(counts.keys), counts.duplicates, state.other) == (2, 1, 1)
    assert all(i.isdigit() for i in ids) and len(set(ids)) == 3
    assert sorted(receipt_from_pdu(r).message_id for r in receipts) == sorted(ids)
    assert counts.receipts_sent == 3 and counts.receipts_acked == 3


async def test_callbacks_are_counted_per_tag_and_acknowledged() -> None:
    state = peer.Peer()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: peer.CallbackSession(state), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = b'{"id": "x", "status": "delivered"}'
        writer.write(
            f"POST /callback/{TAG} HTTP/1.1\r\nHost: x\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode() + body
            + f"GET /dlr?type=1&tag={TAG} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        )  # fmt: skip
        for _ in range(2):
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 ")
            assert await reader.readexactly(len(peer.CALLBACK_BODY)) == b"ACK/Jasmin"
        writer.write(f"GET /other?tag={TAG} HTTP/1.0\r\n\r\n".encode())
        assert (await reader.read()).endswith(b"\r\n\r\nACK/Jasmin")  # then it closes
        writer.close()
        await writer.wait_closed()
    finally:
        server.close()
        await server.wait_closed()
    assert state.counts(TAG).callbacks == 3
    assert state.counts(TAG).callback_last >= state.counts(TAG).callback_first > 0
