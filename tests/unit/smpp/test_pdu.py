"""PDU codec: round trips for every PDU, strict decoding, framing."""

import struct

import pytest

from smsgate.smpp import (
    AlertNotification,
    BindReceiver,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitter,
    BindTransmitterResp,
    CancelSm,
    DataSm,
    DataSmResp,
    DeliverSm,
    DeliverSmResp,
    DistributionList,
    EnquireLink,
    GenericNack,
    Outbind,
    Pdu,
    QuerySm,
    QuerySmResp,
    ReplaceSm,
    SmeAddress,
    SubmitMulti,
    SubmitMultiResp,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnsuccessSme,
    tlv,
)
from smsgate.smpp.codec import decode, encode, make_response, response_class, split_frames
from smsgate.smpp.constants import CommandId, CommandStatus, EsmClass
from smsgate.smpp.errors import PduError
from smsgate.smpp.pdu import PDU_CLASSES

SAMPLES: list[Pdu] = [
    BindTransmitter(system_id="user", password="secret", system_type="VMA", address_range="^39"),
    BindReceiver(system_id="u", password="p", addr_ton=1, addr_npi=1, sequence_number=9),
    BindTransceiver(system_id="x" * 15, password="y" * 8, system_type="z" * 12),
    BindTransceiverResp(system_id="SMSC", tlvs={tlv.SC_INTERFACE_VERSION.tag: 0x34}),
    Outbind(system_id="SMSC", password="pw"),
    Unbind(sequence_number=0x7FFFFFFF),
    EnquireLink(sequence_number=1),
    GenericNack(command_status=CommandStatus.ESME_RINVCMDID, sequence_number=77),
    SubmitSm(
        service_type="CMT",
        source_addr_ton=5,
        source_addr="Sender",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="393331234567",
        esm_class=EsmClass.UDHI,
        registered_delivery=1,
        data_coding=8,
        schedule_delivery_time="000000000100000R",
        validity_period="240101120000004+",
        short_message=bytes(range(140)),
        tlvs={tlv.USER_MESSAGE_REFERENCE.tag: 42, 0x1401: b"\x01\x02vendor"},
    ),
    SubmitSmResp(message_id="0123456789abcdef" * 4, sequence_number=3),
    DeliverSm(
        esm_class=EsmClass.DELIVERY_RECEIPT,
        short_message=b"id:1 stat:DELIVRD",
        tlvs={
            tlv.RECEIPTED_MESSAGE_ID.tag: "1",
            tlv.MESSAGE_STATE.tag: 2,
            tlv.NETWORK_ERROR_CODE.tag: tlv.NetworkErrorCode(3, 0x0101),
        },
    ),
    DeliverSmResp(),
    DataSm(
        source_addr="s" * 64,
        destination_addr="d" * 64,
        tlvs={tlv.MESSAGE_PAYLOAD.tag: b"p" * 1000, tlv.SAR_MSG_REF_NUM.tag: 0xFFFF},
    ),
    DataSmResp(message_id="abc"),
    SubmitMulti(
        source_addr="Sender",
        dest_addresses=[SmeAddress("39333", 1, 1), DistributionList("staff")],
        short_message=b"hi",
    ),
    SubmitMultiResp(
        message_id="m1", unsuccess_smes=[UnsuccessSme("39333", CommandStatus.ESME_RINVDSTADR, 1, 1)]
    ),
    QuerySm(message_id="1A2B", source_addr="Sender"),
    QuerySmResp(message_id="1A2B", final_date="240101120000004+", message_state=2),
    CancelSm(message_id="1A2B", source_addr="a", destination_addr="b"),
    make_response(CancelSm()),
    ReplaceSm(message_id="1A2B", short_message=b"new text", registered_delivery=1),
    make_response(ReplaceSm()),
    AlertNotification(
        source_addr="39333", esme_addr="smsgate", tlvs={tlv.MS_AVAILABILITY_STATUS.tag: 0}
    ),
    make_response(Unbind()),
    make_response(EnquireLink()),
    make_response(BindTransmitter(), CommandStatus.ESME_RINVPASWD),
    make_response(BindReceiver()),
]


def test_every_command_id_has_a_sample() -> None:
    assert {type(p) for p in SAMPLES} == set(PDU_CLASSES.values())
    assert set(PDU_CLASSES) == set(CommandId)


@pytest.mark.parametrize("pdu", SAMPLES, ids=lambda p: type(p).__name__)
def test_round_trip(pdu: Pdu) -> None:
    wire = encode(pdu)
    assert struct.unpack(">I", wire[:4])[0] == len(wire)
    assert decode(wire) == pdu
    assert encode(decode(wire)) == wire


@pytest.mark.parametrize("cls", list(PDU_CLASSES.values()), ids=lambda c: c.__name__)
def test_defaults_round_trip(cls: type[Pdu]) -> None:
    pdu = cls(sequence_number=12)
    assert decode(encode(pdu)) == pdu


def test_response_pairs() -> None:
    assert response_class(SubmitSm) is SubmitSmResp
    assert response_class(SubmitSmResp()) is None
    assert response_class(AlertNotification) is None
    assert response_class(Outbind) is None
    resp = make_response(SubmitSm(sequence_number=5), CommandStatus.ESME_RTHROTTLED)
    assert isinstance(resp, SubmitSmResp)
    assert (resp.sequence_number, resp.command_status) == (5, CommandStatus.ESME_RTHROTTLED)
    assert isinstance(make_response(GenericNack()), GenericNack)


def test_error_response_with_empty_body_decodes_to_defaults() -> None:
    wire = struct.pack(
        ">IIII", 16, CommandId.BIND_TRANSMITTER_RESP, CommandStatus.ESME_RINVPASWD, 4
    )
    pdu = decode(wire)
    assert isinstance(pdu, BindTransmitterResp)
    assert pdu.system_id == ""
    assert pdu.command_status == CommandStatus.ESME_RINVPASWD
    assert pdu.sequence_number == 4


def test_vendor_status_is_a_plain_int() -> None:
    wire = struct.pack(">IIII", 16, CommandId.SUBMIT_SM_RESP, 0x402, 1)
    pdu = decode(wire)
    assert pdu.command_status == 0x402
    assert type(pdu.command_status) is int


def _header(length: int, command_id: int, seq: int = 1) -> bytes:
    return struct.pack(">IIII", length, command_id, 0, seq)


def _body_pdu(command_id: int, body: bytes, seq: int = 1) -> bytes:
    return _header(16 + len(body), command_id, seq) + body


@pytest.mark.parametrize(
    ("wire", "status"),
    [
        (b"\x00\x00\x00\x10\x00", CommandStatus.ESME_RINVCMDLEN),
        (_header(17, CommandId.ENQUIRE_LINK), CommandStatus.ESME_RINVCMDLEN),
        (_header(16, 0x1234), CommandStatus.ESME_RINVCMDID),
        (_body_pdu(CommandId.ENQUIRE_LINK, b"\x00"), CommandStatus.ESME_RINVCMDLEN),
        (
            _body_pdu(CommandId.BIND_TRANSMITTER, b"x" * 16 + b"\0p\0\0\x34\0\0\0"),
            CommandStatus.ESME_RINVSYSID,
        ),
        (
            _body_pdu(CommandId.BIND_TRANSMITTER, b"u\0" + b"p" * 9 + b"\0\0\x34\0\0\0"),
            CommandStatus.ESME_RINVPASWD,
        ),
        (_body_pdu(CommandId.BIND_TRANSMITTER, b"u\0p\0"), CommandStatus.ESME_RINVSYSTYP),
        (_body_pdu(CommandId.BIND_TRANSMITTER, b"u\0p\0\0\x34"), CommandStatus.ESME_RINVCMDLEN),
        (
            _body_pdu(CommandId.BIND_TRANSMITTER, b"u\0p\0\0\x34\0\0\0garbage"),
            CommandStatus.ESME_RINVCMDLEN,
        ),
        (_body_pdu(CommandId.SUBMIT_SM_RESP, b"abc"), CommandStatus.ESME_RINVMSGID),
    ],
)
def test_strict_decoding(wire: bytes, status: int) -> None:
    with pytest.raises(PduError) as info:
        decode(wire)
    assert info.value.command_status == status


def _submit_body(sm_length: int, message: bytes, tail: bytes = b"") -> bytes:
    return b"\0\0\0s\0\0\0d\0\0\0\0\0\0\0\0\0\0" + bytes((sm_length,)) + message + tail


def test_sm_length_overrunning_the_pdu() -> None:
    with pytest.raises(PduError) as info:
        decode(_body_pdu(CommandId.SUBMIT_SM, _submit_body(10, b"short"), seq=8))
    assert info.value.command_status == CommandStatus.ESME_RINVMSGLEN
    assert info.value.sequence_number == 8
    assert info.value.command_id == CommandId.SUBMIT_SM


def test_sm_length_255_is_rejected() -> None:
    with pytest.raises(PduError) as info:
        decode(_body_pdu(CommandId.SUBMIT_SM, _submit_body(255, b"x" * 255)))
    assert info.value.command_status == CommandStatus.ESME_RINVMSGLEN


@pytest.mark.parametrize(
    ("tail", "status"),
    [
        (b"\x02", CommandStatus.ESME_RINVOPTPARSTREAM),
        (b"\x04\x27\x00\x05\x01", CommandStatus.ESME_RINVOPTPARSTREAM),
        (b"\x04\x27\x00\x02\x01\x02", CommandStatus.ESME_RINVPARLEN),
        (b"\x04\x27\x00\x01\x01\x04\x27\x00\x01\x01", CommandStatus.ESME_RINVOPTPARSTREAM),
        (b"\x00\x1e\x00\x03a\0b", CommandStatus.ESME_RINVOPTPARAMVAL),
    ],
)
def test_bad_tlvs(tail: bytes, status: int) -> None:
    with pytest.raises(PduError) as info:
        decode(_body_pdu(CommandId.DELIVER_SM, _submit_body(1, b"x", tail)))
    assert info.value.command_status == status


def test_missing_nul_is_reported() -> None:
    with pytest.raises(PduError, match="missing NUL"):
        decode(_body_pdu(CommandId.SUBMIT_SM_RESP, b"abc"))


def test_unknown_tlv_is_preserved_byte_for_byte() -> None:
    tail = b"\x14\x01\x00\x03abc\x30\x00\x00\x00"
    wire = _body_pdu(CommandId.DELIVER_SM, _submit_body(1, b"x", tail))
    pdu = decode(wire)
    assert pdu.tlvs == {0x1401: b"abc", 0x3000: b""}
    assert encode(pdu) == wire


def test_receipted_message_id_without_nul_is_accepted() -> None:
    wire = _body_pdu(CommandId.DELIVER_SM, _submit_body(0, b"", b"\x00\x1e\x00\x041A2B"))
    assert tlv.RECEIPTED_MESSAGE_ID.get(decode(wire).tlvs) == "1A2B"


@pytest.mark.parametrize(
    ("pdu", "status"),
    [
        (SubmitSm(source_addr="x" * 21), CommandStatus.ESME_RINVSRCADR),
        (SubmitSm(destination_addr="x" * 21), CommandStatus.ESME_RINVDSTADR),
        (SubmitSm(service_type="x\0"), CommandStatus.ESME_RINVSERTYP),
        (SubmitSm(short_message=b"x" * 255), CommandStatus.ESME_RINVMSGLEN),
        (SubmitSm(esm_class=256), CommandStatus.ESME_RSYSERR),
        (SubmitSm(source_addr="€"), CommandStatus.ESME_RSYSERR),
        (BindTransmitter(password="123456789"), CommandStatus.ESME_RINVPASWD),
        (EnquireLink(tlvs={1: b""}), CommandStatus.ESME_RINVCMDLEN),
        (SubmitSm(tlvs={tlv.MESSAGE_STATE.tag: 256}), CommandStatus.ESME_RINVOPTPARAMVAL),
        (SubmitSm(tlvs={tlv.MESSAGE_STATE.tag: "x"}), CommandStatus.ESME_RINVOPTPARAMVAL),
        (SubmitSm(tlvs={0x1400: 5}), CommandStatus.ESME_RINVOPTPARAMVAL),
        (SubmitSm(tlvs={tlv.CALLBACK_NUM.tag: b"1"}), CommandStatus.ESME_RINVPARLEN),
        (SubmitMulti(dest_addresses=[SmeAddress("1")] * 255), CommandStatus.ESME_RINVNUMDESTS),
    ],
)
def test_encode_rejects_values_that_do_not_fit(pdu: Pdu, status: int) -> None:
    with pytest.raises(PduError) as info:
        encode(pdu)
    assert info.value.command_status == status


def test_submit_multi_bad_dest_flag() -> None:
    body = b"\0\0\0s\0\x01\x03abc\0"
    with pytest.raises(PduError) as info:
        decode(_body_pdu(CommandId.SUBMIT_MULTI, body))
    assert info.value.command_status == CommandStatus.ESME_RINVDESTFLAG


def test_split_frames_keeps_partial_tail() -> None:
    one, two = encode(EnquireLink(sequence_number=1)), encode(SubmitSm(sequence_number=2))
    buf = bytearray(one + two[:10])
    assert split_frames(buf) == [one]
    assert buf == two[:10]
    buf += two[10:]
    assert split_frames(buf) == [two]
    assert buf == b""


def test_split_frames_byte_by_byte() -> None:
    wire = encode(SubmitSm(short_message=b"abc")) + encode(EnquireLink())
    buf = bytearray()
    frames: list[bytes] = []
    for octet in wire:
        buf.append(octet)
        frames += split_frames(buf)
    assert b"".join(frames) == wire
    assert len(frames) == 2


@pytest.mark.parametrize("length", [0, 15, 70_000])
def test_split_frames_rejects_impossible_lengths(length: int) -> None:
    buf = bytearray(struct.pack(">IIII", length, 0x15, 0, 3))
    with pytest.raises(PduError) as info:
        split_frames(buf, max_length=65536)
    assert info.value.command_status == CommandStatus.ESME_RINVCMDLEN
    assert info.value.sequence_number == 3


def test_split_frames_max_length_is_configurable() -> None:
    wire = encode(SubmitSm(short_message=b"x" * 200))
    with pytest.raises(PduError):
        split_frames(bytearray(wire), max_length=100)
    assert split_frames(bytearray(wire), max_length=len(wire)) == [wire]
