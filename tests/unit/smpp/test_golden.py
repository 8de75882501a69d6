"""Golden PDUs: hand-assembled wire bytes (tests/golden/smpp/*.hex) against the codec."""

from pathlib import Path

import pytest

from smsgate.smpp import (
    BindTransceiverResp,
    BindTransmitter,
    DataSm,
    DeliverSm,
    DistributionList,
    EnquireLink,
    GenericNack,
    Pdu,
    QuerySmResp,
    SmeAddress,
    SubmitMulti,
    SubmitMultiResp,
    SubmitSm,
    SubmitSmResp,
    UnsuccessSme,
    tlv,
)
from smsgate.smpp.codec import decode, encode
from smsgate.smpp.constants import CommandStatus, EsmClass

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "smpp"
RECEIPT_TEXT = (
    b"id:1A2B sub:001 dlvrd:001 submit date:2401011200 done date:2401011201"
    b" stat:DELIVRD err:000 text:hello"
)

EXPECTED: dict[str, Pdu] = {
    "enquire_link": EnquireLink(sequence_number=1),
    "bind_transmitter": BindTransmitter(
        sequence_number=1, system_id="smppclient1", password="password"
    ),
    "bind_transceiver_resp": BindTransceiverResp(
        sequence_number=1, system_id="SMSC", tlvs={tlv.SC_INTERFACE_VERSION.tag: 0x34}
    ),
    "submit_sm": SubmitSm(
        sequence_number=2,
        source_addr_ton=5,
        source_addr="Sender",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="393331234567",
        registered_delivery=1,
        short_message=b"hello",
    ),
    "submit_sm_resp": SubmitSmResp(sequence_number=2, message_id="1A2B"),
    "submit_sm_resp_error": SubmitSmResp(
        sequence_number=3, command_status=CommandStatus.ESME_RSUBMITFAIL
    ),
    "generic_nack": GenericNack(sequence_number=5, command_status=CommandStatus.ESME_RINVCMDID),
    "deliver_sm_receipt": DeliverSm(
        sequence_number=9,
        source_addr_ton=1,
        source_addr_npi=1,
        source_addr="393331234567",
        dest_addr_ton=5,
        destination_addr="Sender",
        esm_class=EsmClass.DELIVERY_RECEIPT,
        short_message=RECEIPT_TEXT,
        tlvs={tlv.RECEIPTED_MESSAGE_ID.tag: "1A2B", tlv.MESSAGE_STATE.tag: 2},
    ),
    "submit_multi": SubmitMulti(
        sequence_number=4,
        source_addr_ton=5,
        source_addr="Sender",
        dest_addresses=[SmeAddress("393331234567", 1, 1), DistributionList("friends")],
        registered_delivery=1,
        short_message=b"hello",
    ),
    "submit_multi_resp": SubmitMultiResp(
        sequence_number=4,
        message_id="77",
        unsuccess_smes=[UnsuccessSme("393331234567", CommandStatus.ESME_RSUBMITFAIL, 1, 1)],
    ),
    "data_sm_payload": DataSm(
        sequence_number=6,
        source_addr_ton=5,
        source_addr="Sender",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="393331234567",
        registered_delivery=1,
        tlvs={tlv.MESSAGE_PAYLOAD.tag: b"Hello world"},
    ),
    "query_sm_resp": QuerySmResp(
        sequence_number=7, message_id="1A2B", final_date="240101120000004+", message_state=2
    ),
}


def load_hex(path: Path) -> bytes:
    """Hex pairs with `#` comments, as the fixtures are written."""
    lines = (line.split("#", 1)[0] for line in path.read_text().splitlines())
    return bytes.fromhex(" ".join(lines))


def test_every_fixture_has_an_expectation() -> None:
    assert {p.stem for p in GOLDEN.glob("*.hex")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_decode_golden(name: str) -> None:
    assert decode(load_hex(GOLDEN / f"{name}.hex")) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - {"submit_sm_resp_error"}))
def test_encode_golden(name: str) -> None:
    assert encode(EXPECTED[name]).hex() == load_hex(GOLDEN / f"{name}.hex").hex()


def test_error_response_encodes_its_empty_fields() -> None:
    # We always send the mandatory fields; decoding accepts both forms.
    wire = encode(EXPECTED["submit_sm_resp_error"])
    assert wire[16:] == b"\0"
    assert decode(wire) == EXPECTED["submit_sm_resp_error"]
