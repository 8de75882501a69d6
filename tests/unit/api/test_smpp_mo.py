"""How an MO is rendered as deliver_sm for a customer's bind: addresses, codings, parts."""

from __future__ import annotations

import pytest

from smsgate.api.smpp.mo import mo_address, mo_pdus
from smsgate.services.inbound_plan import PAYLOAD, UDH
from smsgate.services.smpp_customers import InboundSms
from smsgate.smpp import tlv


def mo(text: str, encoding: str = "gsm7") -> InboundSms:
    return InboundSms(0x1234, "393331234567", "3000", text, encoding, received_at=0.0)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("+393331234567", (1, 1, "393331234567")),
        ("393331234567", (1, 1, "393331234567")),
        ("3000", (0, 1, "3000")),
        ("+3000", (1, 1, "3000")),
        ("ACME", (5, 0, "ACME")),
        ("", (0, 0, "")),
    ],
)
def test_addresses_get_a_ton_and_npi_from_their_shape(
    address: str, expected: tuple[int, int, str]
) -> None:
    assert mo_address(address) == expected


def test_text_its_encoding_cannot_carry_goes_out_in_ucs2() -> None:
    [pdu] = mo_pdus(mo("Привет", "gsm7"), UDH)
    assert (pdu.data_coding, pdu.short_message) == (0x08, "Привет".encode("utf-16-be"))


def test_an_unknown_encoding_goes_out_as_gsm7_when_it_can() -> None:
    [pdu] = mo_pdus(mo("hello", "klingon"), UDH)
    assert (pdu.data_coding, pdu.short_message) == (0x00, b"hello")


def test_hex_that_is_not_hex_goes_out_as_text() -> None:
    [pdu] = mo_pdus(mo("not hex", "binary"), UDH)
    assert (pdu.data_coding, pdu.short_message) == (0x00, b"not hex")


def test_an_empty_mo_is_one_empty_pdu() -> None:
    [pdu] = mo_pdus(mo("", "gsm7"), UDH)
    assert (pdu.esm_class, pdu.short_message, pdu.tlvs) == (0, b"", {})


def test_long_binary_data_is_split_with_a_udh_of_the_mo_id() -> None:
    data = bytes(300)
    pdus = mo_pdus(mo(data.hex(), "binary"), UDH)
    assert [p.short_message[:6] for p in pdus] == [bytes((5, 0, 3, 0x34, 3, s)) for s in (1, 2, 3)]
    assert b"".join(p.short_message[6:] for p in pdus) == data
    assert {(p.esm_class, p.data_coding) for p in pdus} == {(0x40, 0x04)}


def test_more_than_255_parts_go_out_in_message_payload() -> None:
    data = bytes(134 * 255 + 1)
    [pdu] = mo_pdus(mo(data.hex(), "binary"), UDH)
    assert pdu.short_message == b"" and pdu.tlvs[tlv.MESSAGE_PAYLOAD.tag] == data


def test_payload_mode_keeps_a_short_mo_in_short_message() -> None:
    [pdu] = mo_pdus(mo("short"), PAYLOAD)
    assert (pdu.short_message, pdu.tlvs) == (b"short", {})
