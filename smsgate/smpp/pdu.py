"""Every SMPP 3.4 PDU as a dataclass whose field annotations carry the wire layout.

Each class is registered with its command_id and its layout compiled (`layout.py`) into an
encoder and a decoder, which `codec.py` dispatches to. Vendor statuses stay plain ints.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Annotated, ClassVar, TypeVar, dataclass_transform, get_args

from smsgate.smpp.constants import (
    INTERFACE_VERSION,
    RESPONSE_BIT,
    CommandId,
)
from smsgate.smpp.destinations import (
    DEST_ADDRESSES,
    UNSUCCESS_SMES,
    DistributionList,
    SmeAddress,
    UnsuccessSme,
)
from smsgate.smpp.layout import (
    ADDRESS_RANGE,
    DEST_ADDR,
    DEST_ADDR_65,
    FINAL_DATE,
    MESSAGE_ID,
    PASSWORD,
    SCHEDULE_TIME,
    SERVICE_TYPE,
    SHORT_MESSAGE,
    SOURCE_ADDR,
    SOURCE_ADDR_65,
    SYSTEM_ID,
    SYSTEM_TYPE,
    U8,
    VALIDITY_PERIOD,
    CString,
    Custom,
    Decoder,
    Encoder,
    FieldKind,
    Int,
    Layout,
    ShortMessage,
    compile_codec,
)
from smsgate.smpp.tlv import TlvValue


@dataclass(slots=True, kw_only=True)
class Pdu:
    """Header fields and TLVs shared by all PDUs; subclasses add the mandatory body."""

    command_id: ClassVar[int]
    command_status: int = 0
    sequence_number: int = 0
    tlvs: dict[int, TlvValue] = field(default_factory=dict)

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & RESPONSE_BIT)


_BY_ID: dict[int, type[Pdu]] = {}
_ENCODERS: dict[type[Pdu], Encoder] = {}
_DECODERS: dict[int, Decoder] = {}
_LAYOUTS: dict[type[Pdu], Layout] = {}
P = TypeVar("P", bound=Pdu)


@dataclass_transform(kw_only_default=True, field_specifiers=(field,))
def _pdu(command_id: int, *, tlvs: bool = False) -> Callable[[type[P]], type[P]]:
    """Make the class a slotted keyword-only dataclass and register it as `command_id`,
    its layout compiled from its annotations; `tlvs`: the PDU may carry TLVs."""

    def register(bare: type[P]) -> type[P]:
        cls = dataclass(slots=True, kw_only=True)(bare)
        layout: list[tuple[str, FieldKind]] = []
        for f in fields(cls):
            kinds = [
                a
                for a in get_args(f.type)[1:]
                if isinstance(a, Int | CString | ShortMessage | Custom)
            ]
            if kinds:
                layout.append((f.name, kinds[0]))
        cls.command_id = command_id
        encoder, decoder = compile_codec(cls, command_id, layout, tlvs)
        _BY_ID[command_id] = cls
        _ENCODERS[cls] = encoder
        _DECODERS[command_id] = decoder
        _LAYOUTS[cls] = layout
        return cls

    return register


# --- session management ------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class BindPdu(Pdu):
    system_id: Annotated[str, SYSTEM_ID] = ""
    password: Annotated[str, PASSWORD] = ""
    system_type: Annotated[str, SYSTEM_TYPE] = ""
    interface_version: Annotated[int, U8] = INTERFACE_VERSION
    addr_ton: Annotated[int, U8] = 0
    addr_npi: Annotated[int, U8] = 0
    address_range: Annotated[str, ADDRESS_RANGE] = ""


@_pdu(CommandId.BIND_TRANSMITTER)
class BindTransmitter(BindPdu):
    pass


@_pdu(CommandId.BIND_RECEIVER)
class BindReceiver(BindPdu):
    pass


@_pdu(CommandId.BIND_TRANSCEIVER)
class BindTransceiver(BindPdu):
    pass


@dataclass(slots=True, kw_only=True)
class BindRespPdu(Pdu):
    system_id: Annotated[str, SYSTEM_ID] = ""


@_pdu(CommandId.BIND_TRANSMITTER_RESP, tlvs=True)
class BindTransmitterResp(BindRespPdu):
    pass


@_pdu(CommandId.BIND_RECEIVER_RESP, tlvs=True)
class BindReceiverResp(BindRespPdu):
    pass


@_pdu(CommandId.BIND_TRANSCEIVER_RESP, tlvs=True)
class BindTransceiverResp(BindRespPdu):
    pass


@_pdu(CommandId.OUTBIND)
class Outbind(Pdu):
    system_id: Annotated[str, SYSTEM_ID] = ""
    password: Annotated[str, PASSWORD] = ""


@_pdu(CommandId.UNBIND)
class Unbind(Pdu):
    pass


@_pdu(CommandId.UNBIND_RESP)
class UnbindResp(Pdu):
    pass


@_pdu(CommandId.ENQUIRE_LINK)
class EnquireLink(Pdu):
    pass


@_pdu(CommandId.ENQUIRE_LINK_RESP)
class EnquireLinkResp(Pdu):
    pass


@_pdu(CommandId.GENERIC_NACK)
class GenericNack(Pdu):
    pass


# --- messages ------------------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class ShortMessagePdu(Pdu):
    """The body shared by submit_sm and deliver_sm (deliver_sm leaves the times empty)."""

    service_type: Annotated[str, SERVICE_TYPE] = ""
    source_addr_ton: Annotated[int, U8] = 0
    source_addr_npi: Annotated[int, U8] = 0
    source_addr: Annotated[str, SOURCE_ADDR] = ""
    dest_addr_ton: Annotated[int, U8] = 0
    dest_addr_npi: Annotated[int, U8] = 0
    destination_addr: Annotated[str, DEST_ADDR] = ""
    esm_class: Annotated[int, U8] = 0
    protocol_id: Annotated[int, U8] = 0
    priority_flag: Annotated[int, U8] = 0
    schedule_delivery_time: Annotated[str, SCHEDULE_TIME] = ""
    validity_period: Annotated[str, VALIDITY_PERIOD] = ""
    registered_delivery: Annotated[int, U8] = 0
    replace_if_present_flag: Annotated[int, U8] = 0
    data_coding: Annotated[int, U8] = 0
    sm_default_msg_id: Annotated[int, U8] = 0
    short_message: Annotated[bytes, SHORT_MESSAGE] = b""


@_pdu(CommandId.SUBMIT_SM, tlvs=True)
class SubmitSm(ShortMessagePdu):
    pass


@_pdu(CommandId.DELIVER_SM, tlvs=True)
class DeliverSm(ShortMessagePdu):
    pass


@dataclass(slots=True, kw_only=True)
class MessageIdResp(Pdu):
    message_id: Annotated[str, MESSAGE_ID] = ""


# SMPP 5.0 peers add TLVs to these responses; accepting them costs nothing.
@_pdu(CommandId.SUBMIT_SM_RESP, tlvs=True)
class SubmitSmResp(MessageIdResp):
    pass


@_pdu(CommandId.DELIVER_SM_RESP, tlvs=True)
class DeliverSmResp(MessageIdResp):
    pass


@_pdu(CommandId.DATA_SM_RESP, tlvs=True)
class DataSmResp(MessageIdResp):
    pass


@_pdu(CommandId.DATA_SM, tlvs=True)
class DataSm(Pdu):
    service_type: Annotated[str, SERVICE_TYPE] = ""
    source_addr_ton: Annotated[int, U8] = 0
    source_addr_npi: Annotated[int, U8] = 0
    source_addr: Annotated[str, SOURCE_ADDR_65] = ""
    dest_addr_ton: Annotated[int, U8] = 0
    dest_addr_npi: Annotated[int, U8] = 0
    destination_addr: Annotated[str, DEST_ADDR_65] = ""
    esm_class: Annotated[int, U8] = 0
    registered_delivery: Annotated[int, U8] = 0
    data_coding: Annotated[int, U8] = 0


# --- submit_multi ----------------------------------------------------------------------------


@_pdu(CommandId.SUBMIT_MULTI, tlvs=True)
class SubmitMulti(Pdu):
    service_type: Annotated[str, SERVICE_TYPE] = ""
    source_addr_ton: Annotated[int, U8] = 0
    source_addr_npi: Annotated[int, U8] = 0
    source_addr: Annotated[str, SOURCE_ADDR] = ""
    dest_addresses: Annotated[list[SmeAddress | DistributionList], DEST_ADDRESSES] = field(
        default_factory=list
    )
    esm_class: Annotated[int, U8] = 0
    protocol_id: Annotated[int, U8] = 0
    priority_flag: Annotated[int, U8] = 0
    schedule_delivery_time: Annotated[str, SCHEDULE_TIME] = ""
    validity_period: Annotated[str, VALIDITY_PERIOD] = ""
    registered_delivery: Annotated[int, U8] = 0
    replace_if_present_flag: Annotated[int, U8] = 0
    data_coding: Annotated[int, U8] = 0
    sm_default_msg_id: Annotated[int, U8] = 0
    short_message: Annotated[bytes, SHORT_MESSAGE] = b""


@_pdu(CommandId.SUBMIT_MULTI_RESP, tlvs=True)
class SubmitMultiResp(Pdu):
    message_id: Annotated[str, MESSAGE_ID] = ""
    unsuccess_smes: Annotated[list[UnsuccessSme], UNSUCCESS_SMES] = field(default_factory=list)


# --- ancillary -------------------------------------------------------------------------------


@_pdu(CommandId.QUERY_SM)
class QuerySm(Pdu):
    message_id: Annotated[str, MESSAGE_ID] = ""
    source_addr_ton: Annotated[int, U8] = 0
    source_addr_npi: Annotated[int, U8] = 0
    source_addr: Annotated[str, SOURCE_ADDR] = ""


@_pdu(CommandId.QUERY_SM_RESP)
class QuerySmResp(Pdu):
    message_id: Annotated[str, MESSAGE_ID] = ""
    final_date: Annotated[str, FINAL_DATE] = ""
    message_state: Annotated[int, U8] = 0
    error_code: Annotated[int, U8] = 0


@_pdu(CommandId.CANCEL_SM)
class CancelSm(Pdu):
    service_type: Annotated[str, SERVICE_TYPE] = ""
    message_id: Annotated[str, MESSAGE_ID] = ""
    source_addr_ton: Annotated[int, U8] = 0
    source_addr_npi: Annotated[int, U8] = 0
    source_addr: Annotated[str, SOURCE_ADDR] = ""
    dest_addr_ton: Annotated[int, U8] = 0
    dest_addr_npi: Annotated[int, U8] = 0
    destination_addr: Annotated[str, DEST_ADDR] = ""


@_pdu(CommandId.CANCEL_SM_RESP)
class CancelSmResp(Pdu):
    pass


@_pdu(CommandId.REPLACE_SM)
class ReplaceSm(Pdu):
    message_id: Annotated[str, MESSAGE_ID] = ""
    source_addr_ton: Annotated[int, U8] = 0
    source_addr_npi: Annotated[int, U8] = 0
    source_addr: Annotated[str, SOURCE_ADDR] = ""
    schedule_delivery_time: Annotated[str, SCHEDULE_TIME] = ""
    validity_period: Annotated[str, VALIDITY_PERIOD] = ""
    registered_delivery: Annotated[int, U8] = 0
    sm_default_msg_id: Annotated[int, U8] = 0
    short_message: Annotated[bytes, SHORT_MESSAGE] = b""


@_pdu(CommandId.REPLACE_SM_RESP)
class ReplaceSmResp(Pdu):
    pass


@_pdu(CommandId.ALERT_NOTIFICATION, tlvs=True)
class AlertNotification(Pdu):
    source_addr_ton: Annotated[int, U8] = 0
    source_addr_npi: Annotated[int, U8] = 0
    source_addr: Annotated[str, SOURCE_ADDR_65] = ""
    esme_addr_ton: Annotated[int, U8] = 0
    esme_addr_npi: Annotated[int, U8] = 0
    esme_addr: Annotated[str, DEST_ADDR_65] = ""


PDU_CLASSES: Mapping[int, type[Pdu]] = _BY_ID
ENCODERS: Mapping[type[Pdu], Encoder] = _ENCODERS
DECODERS: Mapping[int, Decoder] = _DECODERS


def layout_of(cls: type[Pdu]) -> Layout:
    """The mandatory fields of a PDU type in wire order, with their kinds."""
    return _LAYOUTS[cls]
