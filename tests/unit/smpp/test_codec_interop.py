"""Differential tests: our codec against smpp34 (Rust) and smpplib for submit_sm/deliver_sm."""

import smpp34
import smpplib.client
import smpplib.smpp
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.smpp import tlv
from smsgate.smpp.codec import decode, encode
from smsgate.smpp.pdu import DeliverSm, ShortMessagePdu, SubmitSm


def raw_tlvs(tlvs: dict[int, tlv.TlvValue]) -> dict[int, bytes]:
    """Each TLV's value octets as our encoder writes them."""
    return {tag: tlv.encode_tlvs({tag: value})[4:] for tag, value in tlvs.items()}


address = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)
octet = st.integers(0, 255)


@st.composite
def message_pdus(draw: st.DrawFn) -> ShortMessagePdu:
    cls = draw(st.sampled_from([SubmitSm, DeliverSm]))
    tlvs: dict[int, tlv.TlvValue] = {}
    if draw(st.booleans()):
        tlvs[tlv.SAR_MSG_REF_NUM.tag] = draw(st.integers(0, 0xFFFF))
        tlvs[tlv.SAR_TOTAL_SEGMENTS.tag] = draw(octet)
    if draw(st.booleans()):
        tlvs[0x1400] = draw(st.binary(max_size=10))
    return cls(
        sequence_number=draw(st.integers(1, 0x7FFFFFFF)),
        source_addr_ton=draw(octet),
        source_addr_npi=draw(octet),
        source_addr=draw(address),
        dest_addr_ton=draw(octet),
        dest_addr_npi=draw(octet),
        destination_addr=draw(address),
        esm_class=draw(octet),
        protocol_id=draw(octet),
        registered_delivery=draw(octet),
        data_coding=draw(octet),
        short_message=draw(st.binary(max_size=254)),
        tlvs=tlvs,
    )


@settings(max_examples=200, deadline=None)
@given(message_pdus())
def test_smpp34_decodes_what_we_encode(pdu: ShortMessagePdu) -> None:
    theirs = smpp34.decode(encode(pdu))
    assert isinstance(theirs, smpp34.SubmitSm | smpp34.DeliverSm)
    assert theirs.command_id == pdu.command_id
    assert theirs.sequence_number == pdu.sequence_number
    assert (theirs.source_addr, theirs.destination_addr) == (pdu.source_addr, pdu.destination_addr)
    assert (theirs.source_addr_ton, theirs.source_addr_npi) == (
        pdu.source_addr_ton,
        pdu.source_addr_npi,
    )
    assert (theirs.dest_addr_ton, theirs.dest_addr_npi) == (pdu.dest_addr_ton, pdu.dest_addr_npi)
    assert theirs.esm_class == pdu.esm_class
    assert theirs.data_coding == pdu.data_coding
    assert theirs.registered_delivery == pdu.registered_delivery
    assert theirs.short_message == pdu.short_message
    assert {t.tag: t.value for t in theirs.tlvs} == raw_tlvs(pdu.tlvs)


@settings(max_examples=200, deadline=None)
@given(message_pdus())
def test_we_decode_what_smpp34_encodes(pdu: ShortMessagePdu) -> None:
    cls = smpp34.SubmitSm if isinstance(pdu, SubmitSm) else smpp34.DeliverSm
    theirs = cls(
        pdu.source_addr,
        pdu.destination_addr,
        pdu.short_message,
        source_addr_ton=pdu.source_addr_ton,
        source_addr_npi=pdu.source_addr_npi,
        dest_addr_ton=pdu.dest_addr_ton,
        dest_addr_npi=pdu.dest_addr_npi,
        esm_class=pdu.esm_class,
        protocol_id=pdu.protocol_id,
        registered_delivery=pdu.registered_delivery,
        data_coding=pdu.data_coding,
        tlvs=[smpp34.Tlv(tag, raw) for tag, raw in raw_tlvs(pdu.tlvs).items()],
        sequence_number=pdu.sequence_number,
    )
    assert theirs.encode() == encode(pdu)
    assert decode(theirs.encode()) == pdu


def test_smpplib_parses_our_receipt() -> None:
    pdu = DeliverSm(
        sequence_number=7,
        source_addr="393331234567",
        destination_addr="Sender",
        esm_class=4,
        short_message=b"id:1A2B stat:DELIVRD err:000",
        tlvs={tlv.MESSAGE_STATE.tag: 2, tlv.RECEIPTED_MESSAGE_ID.tag: "1A2B"},
    )
    client = smpplib.client.Client("127.0.0.1", 1, allow_unknown_opt_params=True)
    theirs = smpplib.smpp.parse_pdu(encode(pdu), client=client)
    assert theirs.command == "deliver_sm"
    assert theirs.sequence == 7
    assert theirs.source_addr == b"393331234567"
    assert theirs.short_message == pdu.short_message
    assert theirs.message_state == 2
    assert theirs.receipted_message_id == b"1A2B"


def test_we_decode_smpplib_submit_sm() -> None:
    client = smpplib.client.Client("127.0.0.1", 1, allow_unknown_opt_params=True)
    theirs = smpplib.smpp.make_pdu(
        "submit_sm",
        client=client,
        source_addr="Sender",
        source_addr_ton=5,
        destination_addr="393331234567",
        short_message=b"\x05\x00\x03\x01\x02\x01hello",
        esm_class=0x40,
        registered_delivery=1,
        sar_msg_ref_num=258,
    )
    ours = decode(theirs.generate())
    assert isinstance(ours, SubmitSm)
    assert ours.source_addr == "Sender"
    assert ours.short_message == b"\x05\x00\x03\x01\x02\x01hello"
    assert tlv.SAR_MSG_REF_NUM.get(ours.tlvs) == 258
