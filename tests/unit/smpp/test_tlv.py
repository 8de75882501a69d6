"""TLV registry: typed values, lengths, unknown tags."""

import pytest

from smsgate.smpp import tlv
from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.errors import PduError


def test_registry_has_the_tags_a_gateway_needs() -> None:
    names = {
        "sar_msg_ref_num": 0x020C,
        "sar_total_segments": 0x020E,
        "sar_segment_seqnum": 0x020F,
        "message_payload": 0x0424,
        "receipted_message_id": 0x001E,
        "message_state": 0x0427,
        "network_error_code": 0x0423,
        "user_message_reference": 0x0204,
        "source_port": 0x020A,
        "destination_port": 0x020B,
        "sc_interface_version": 0x0210,
        "more_messages_to_send": 0x0426,
        "payload_type": 0x0019,
        "ms_availability_status": 0x0422,
        "callback_num": 0x0381,
    }
    for name, tag in names.items():
        assert tlv.BY_NAME[name].tag == tag
        assert tlv.REGISTRY[tag].name == name


def test_typed_round_trip() -> None:
    values: dict[int, tlv.TlvValue] = {
        tlv.SAR_MSG_REF_NUM.tag: 0xBEEF,
        tlv.QOS_TIME_TO_LIVE.tag: 0xFFFFFFFF,
        tlv.RECEIPTED_MESSAGE_ID.tag: "abc",
        tlv.NETWORK_ERROR_CODE.tag: tlv.NetworkErrorCode(3, 11),
        tlv.MESSAGE_PAYLOAD.tag: b"\0" * 300,
        tlv.ALERT_ON_MESSAGE_DELIVERY.tag: b"",
        0x1500: b"vendor",
    }
    raw = tlv.encode_tlvs(values)
    assert tlv.decode_tlvs(raw, 0, len(raw)) == values


def test_get_is_typed_and_decodes_raw_bytes() -> None:
    tlvs: dict[int, tlv.TlvValue] = {tlv.MESSAGE_STATE.tag: b"\x05"}
    assert tlv.MESSAGE_STATE.get(tlvs) == 5
    assert tlv.SAR_MSG_REF_NUM.get(tlvs) is None
    tlvs[tlv.MESSAGE_STATE.tag] = 2
    assert tlv.MESSAGE_STATE.get(tlvs) == 2
    with pytest.raises(TypeError):
        tlv.RECEIPTED_MESSAGE_ID.get({tlv.RECEIPTED_MESSAGE_ID.tag: 5})


def test_raw_bytes_under_a_known_tag_are_written_as_is() -> None:
    assert tlv.encode_tlvs({tlv.MESSAGE_STATE.tag: b"\x02"}) == b"\x04\x27\x00\x01\x02"
    with pytest.raises(PduError) as info:
        tlv.encode_tlvs({tlv.MESSAGE_STATE.tag: b"\x02\x03"})
    assert info.value.command_status == CommandStatus.ESME_RINVPARLEN


def test_cstring_tlv_is_written_with_nul() -> None:
    assert tlv.encode_tlvs({tlv.RECEIPTED_MESSAGE_ID.tag: "1A"}) == b"\x00\x1e\x00\x031A\x00"


def test_source_telematics_id_accepts_both_sizes() -> None:
    for raw in (b"\x00\x10\x00\x01\x01", b"\x00\x10\x00\x02\x00\x01"):
        assert tlv.decode_tlvs(raw, 0, len(raw))[0x0010] == raw[4:]


def test_message_payload_longer_than_a_tlv_can_say() -> None:
    with pytest.raises(PduError):
        tlv.encode_tlvs({tlv.MESSAGE_PAYLOAD.tag: b"x" * 0x10000})
    with pytest.raises(PduError):
        tlv.encode_tlvs({0x1400: b"x" * 0x10000})


def test_repr_names_the_tag() -> None:
    assert repr(tlv.MESSAGE_STATE) == "IntTlv(0x0427, 'message_state')"
