"""Receipts: tolerant text parsing, formatting, TLV preference, message-id normalisation."""

from datetime import datetime

import pytest

from smsgate.smpp import tlv
from smsgate.smpp.constants import EsmClass, MessageState
from smsgate.smpp.pdu import DataSm, DeliverSm
from smsgate.smpp.receipt import (
    IdFormat,
    Receipt,
    ReceiptError,
    format_receipt_text,
    is_receipt,
    normalize_message_id,
    parse_receipt_date,
    parse_receipt_text,
    receipt_from_pdu,
    receipt_pdu,
    stat_to_state,
    state_to_stat,
)

CANONICAL = (
    "id:0123456789 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201"
    " stat:DELIVRD err:000 text:Hello world"
)

# (text, id, state, sub, dlvrd, submit date, done date, err, text)
PARSE_TABLE = [
    (
        CANONICAL,
        "0123456789",
        MessageState.DELIVERED,
        1,
        1,
        "2401011200",
        "2401011201",
        "000",
        "Hello world",
    ),
    (
        "ID:abcDEF12 SUB:001 DLVRD:000 SUBMIT DATE:240101120030 DONE DATE:240101120105"
        " STAT:UNDELIV ERR:034 TEXT:",
        "abcDEF12",
        MessageState.UNDELIVERABLE,
        1,
        0,
        "240101120030",
        "240101120105",
        "034",
        "",
    ),
    (
        "stat:EXPIRED err:000 id:77 done date:2401021200 sub:001 dlvrd:000",
        "77",
        MessageState.EXPIRED,
        1,
        0,
        "",
        "2401021200",
        "000",
        "",
    ),
    (
        "id:5  sub:1   dlvrd:1  submit date:2401011200  done date:2401011200  stat:delivrd  err:0",
        "5",
        MessageState.DELIVERED,
        1,
        1,
        "2401011200",
        "2401011200",
        "0",
        "",
    ),
    (
        "id:9 stat:REJECTD err:0B1 Text:id:1 stat:x",
        "9",
        MessageState.REJECTED,
        None,
        None,
        "",
        "",
        "0B1",
        "id:1 stat:x",
    ),
    (
        "id:1 submit_date:2401011200 stat:ACCEPTD",
        "1",
        MessageState.ACCEPTED,
        None,
        None,
        "2401011200",
        "",
        "",
        "",
    ),
    ("id:1 stat:ENROUTE", "1", MessageState.ENROUTE, None, None, "", "", "", ""),
    ("id:1 stat:DELETED", "1", MessageState.DELETED, None, None, "", "", "", ""),
    ("id:1 stat:UNKNOWN", "1", MessageState.UNKNOWN, None, None, "", "", "", ""),
    ("id:1 stat:DELIVERED", "1", MessageState.DELIVERED, None, None, "", "", "", ""),
    ("id:1 stat:WHATEVER", "1", MessageState.UNKNOWN, None, None, "", "", "", ""),
]


@pytest.mark.parametrize("row", PARSE_TABLE, ids=lambda r: r[0][:30])
def test_parse_table(row: tuple[object, ...]) -> None:
    text, message_id, state, sub, dlvrd, submit_date, done_date, err, body = row
    assert isinstance(text, str)
    receipt = parse_receipt_text(text)
    assert receipt.message_id == message_id
    assert receipt.state == state
    assert (receipt.submitted, receipt.delivered) == (sub, dlvrd)
    assert (receipt.submit_date, receipt.done_date) == (submit_date, done_date)
    assert (receipt.error, receipt.text) == (err, body)


@pytest.mark.parametrize("text", ["", "hello there", "id:1 sub:001", "stat:DELIVRD err:0", b"\xff"])
def test_not_a_receipt(text: str | bytes) -> None:
    with pytest.raises(ReceiptError):
        parse_receipt_text(text)


def test_format_then_parse() -> None:
    receipt = parse_receipt_text(CANONICAL.encode())
    assert format_receipt_text(receipt) == CANONICAL
    assert parse_receipt_text(format_receipt_text(receipt)) == receipt


def test_format_fills_missing_parts_and_cuts_text() -> None:
    receipt = Receipt(message_id="1A", state=MessageState.UNDELIVERABLE, text="x" * 30)
    assert format_receipt_text(receipt) == (
        "id:1A sub:000 dlvrd:000 submit date: done date: stat:UNDELIV err:000 text:" + "x" * 20
    )


def test_a_text_beyond_ascii_still_makes_a_receipt() -> None:
    receipt = Receipt(message_id="42", state=MessageState.DELIVERED, text="Ünïcödé € ok")
    pdu = receipt_pdu(receipt, source=(1, 1, "393331234567"), destination=(5, 0, "ACME"))
    assert pdu.short_message.endswith(b"text:?n?c?d? ? ok")
    assert parse_receipt_text(pdu.short_message).message_id == "42"


def test_stat_words_map_both_ways() -> None:
    for word in [
        "DELIVRD",
        "EXPIRED",
        "DELETED",
        "UNDELIV",
        "ACCEPTD",
        "UNKNOWN",
        "REJECTD",
        "ENROUTE",
    ]:
        assert state_to_stat(stat_to_state(word)) == word
    assert state_to_stat(42) == "UNKNOWN"


def test_is_final() -> None:
    assert Receipt("1", MessageState.DELIVERED).is_final
    assert not Receipt("1", MessageState.ENROUTE).is_final
    assert not Receipt("1", MessageState.ACCEPTED).is_final


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2401011200", datetime(2024, 1, 1, 12, 0)),
        ("240101120030", datetime(2024, 1, 1, 12, 0, 30)),
        ("20240101120030", datetime(2024, 1, 1, 12, 0, 30)),
        ("2413011200", None),
        ("24010112", None),
        ("", None),
    ],
)
def test_parse_receipt_date(value: str, expected: datetime | None) -> None:
    assert parse_receipt_date(value) == expected


def test_receipt_from_pdu_prefers_tlvs() -> None:
    pdu = DeliverSm(
        esm_class=EsmClass.DELIVERY_RECEIPT,
        short_message=b"id:0000006699 sub:001 dlvrd:001 stat:UNDELIV err:001",
        tlvs={
            tlv.RECEIPTED_MESSAGE_ID.tag: "1A2B",
            tlv.MESSAGE_STATE.tag: MessageState.DELIVERED,
            tlv.NETWORK_ERROR_CODE.tag: tlv.NetworkErrorCode(3, 1),
        },
    )
    assert is_receipt(pdu)
    receipt = receipt_from_pdu(pdu)
    assert receipt.message_id == "1A2B"
    assert receipt.state == MessageState.DELIVERED
    assert receipt.stat == "DELIVRD"
    assert receipt.error == "001"
    assert receipt.network_error == tlv.NetworkErrorCode(3, 1)


def test_receipt_from_pdu_with_tlvs_only() -> None:
    pdu = DataSm(tlvs={tlv.RECEIPTED_MESSAGE_ID.tag: "abc", tlv.MESSAGE_STATE.tag: 5})
    assert is_receipt(pdu)
    receipt = receipt_from_pdu(pdu)
    assert (receipt.message_id, receipt.state, receipt.stat) == (
        "abc",
        MessageState.UNDELIVERABLE,
        "UNDELIV",
    )


def test_receipt_from_pdu_with_text_in_message_payload() -> None:
    pdu = DeliverSm(esm_class=4, tlvs={tlv.MESSAGE_PAYLOAD.tag: CANONICAL.encode()})
    assert receipt_from_pdu(pdu).message_id == "0123456789"


def test_receipt_from_pdu_with_unknown_state_value() -> None:
    pdu = DeliverSm(tlvs={tlv.RECEIPTED_MESSAGE_ID.tag: "1", tlv.MESSAGE_STATE.tag: 77})
    assert receipt_from_pdu(pdu).state == MessageState.UNKNOWN


def test_mo_is_not_a_receipt() -> None:
    mo = DeliverSm(short_message=b"hello")
    assert not is_receipt(mo)
    with pytest.raises(ReceiptError):
        receipt_from_pdu(mo)


@pytest.mark.parametrize(
    ("raw", "fmt", "expected"),
    [
        ("1A2B", "hex", "6699"),
        ("1a2b", "hex", "6699"),
        ("00001A2B", "hex", "6699"),
        ("6699", "dec", "6699"),
        ("0000006699", "dec", "6699"),
        (" 6699 ", "dec", "6699"),
        ("0", "dec", "0"),
        ("AbC-12", "str", "abc-12"),
        ("00ab", "str", "ab"),
        ("000", "str", "0"),
        ("", "str", ""),
    ],
)
def test_normalize_message_id(raw: str, fmt: IdFormat, expected: str) -> None:
    assert normalize_message_id(raw, fmt) == expected


def test_hex_resp_and_decimal_receipt_meet() -> None:
    assert normalize_message_id("1A2B", "hex") == normalize_message_id("6699", "dec")


@pytest.mark.parametrize(
    ("raw", "fmt"), [("1G", "hex"), ("0x1A", "hex"), ("1A", "dec"), ("1_0", "dec")]
)
def test_normalize_rejects_ids_that_do_not_fit(raw: str, fmt: IdFormat) -> None:
    with pytest.raises(ValueError):
        normalize_message_id(raw, fmt)


def test_normalize_rejects_unknown_format() -> None:
    with pytest.raises(ValueError):
        normalize_message_id("1", "oct")  # type: ignore[arg-type]
