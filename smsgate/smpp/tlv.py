"""SMPP 3.4 optional parameters (TLVs): the tag registry with typed values, and their codec.

A PDU keeps its TLVs as `dict[tag, value]`. Registered tags decode to int, str, bytes or
NetworkErrorCode; unknown (e.g. vendor) tags stay raw bytes and are re-encoded unchanged.
A raw bytes value under a registered tag is also written as-is, after a length check.
"""

import struct
from collections.abc import Mapping
from typing import Any, Generic, NamedTuple, TypeVar

from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.errors import PduError


class NetworkErrorCode(NamedTuple):
    """network_error_code: network type (3 = GSM, 8 = SMSC specific) and its error code."""

    network_type: int
    error_code: int


TlvValue = int | str | bytes | NetworkErrorCode
V = TypeVar("V", int, str, bytes, NetworkErrorCode)

_TAG_LENGTH = struct.Struct(">HH")
_NETWORK_ERROR = struct.Struct(">BH")
_INT_FORMATS = {1: struct.Struct(">B"), 2: struct.Struct(">H"), 4: struct.Struct(">I")}


class TlvSpec(Generic[V]):
    """One registered tag: its name, permitted value lengths and typed codec."""

    __slots__ = ("max_len", "min_len", "name", "tag")

    def __init__(self, tag: int, name: str, min_len: int, max_len: int) -> None:
        self.tag = tag
        self.name = name
        self.min_len = min_len
        self.max_len = max_len

    def decode(self, raw: bytes) -> V:
        if not self.min_len <= len(raw) <= self.max_len:
            raise PduError(
                CommandStatus.ESME_RINVPARLEN,
                f"TLV {self.name} has length {len(raw)}, allowed {self.min_len}..{self.max_len}",
            )
        return self._decode(raw)

    def encode(self, value: TlvValue) -> bytes:
        raw = value if isinstance(value, bytes) else self._encode(value)
        if not self.min_len <= len(raw) <= self.max_len:
            raise PduError(CommandStatus.ESME_RINVPARLEN, f"TLV {self.name} value too long")
        return raw

    def get(self, tlvs: Mapping[int, TlvValue]) -> V | None:
        """The typed value of this tag in `tlvs`, or None when absent."""
        value = tlvs.get(self.tag)
        if value is None:
            return None
        if isinstance(value, bytes):
            return self.decode(value)
        return self._check(value)

    def _decode(self, raw: bytes) -> V:
        raise NotImplementedError

    def _encode(self, value: TlvValue) -> bytes:
        raise NotImplementedError

    def _check(self, value: TlvValue) -> V:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(0x{self.tag:04X}, {self.name!r})"


class IntTlv(TlvSpec[int]):
    """An unsigned big-endian integer of 1, 2 or 4 octets."""

    __slots__ = ("_struct",)

    def __init__(self, tag: int, name: str, size: int) -> None:
        super().__init__(tag, name, size, size)
        self._struct = _INT_FORMATS[size]

    def _decode(self, raw: bytes) -> int:
        value: int = self._struct.unpack(raw)[0]
        return value

    def _encode(self, value: TlvValue) -> bytes:
        if not isinstance(value, int) or isinstance(value, tuple):
            raise PduError(CommandStatus.ESME_RINVOPTPARAMVAL, f"TLV {self.name} needs an int")
        try:
            return self._struct.pack(value)
        except struct.error:
            raise PduError(
                CommandStatus.ESME_RINVOPTPARAMVAL, f"TLV {self.name} out of range"
            ) from None

    def _check(self, value: TlvValue) -> int:
        if isinstance(value, int) and not isinstance(value, tuple):
            return value
        raise TypeError(f"TLV {self.name} holds {value!r}, not an int")


class CStringTlv(TlvSpec[str]):
    """A NUL-terminated string; `max_len` counts the NUL, as in the specification."""

    __slots__ = ()

    def __init__(self, tag: int, name: str, max_len: int) -> None:
        # min_len 0: some SMSCs omit the terminating NUL, so an empty value is accepted too.
        super().__init__(tag, name, 0, max_len)

    def _decode(self, raw: bytes) -> str:
        # Several SMSCs send receipted_message_id without its NUL; accept both forms.
        if raw.endswith(b"\0"):
            raw = raw[:-1]
        if b"\0" in raw:
            raise PduError(CommandStatus.ESME_RINVOPTPARAMVAL, f"TLV {self.name} has inner NUL")
        return raw.decode("latin-1")

    def _encode(self, value: TlvValue) -> bytes:
        if not isinstance(value, str):
            raise PduError(CommandStatus.ESME_RINVOPTPARAMVAL, f"TLV {self.name} needs a str")
        try:
            return value.encode("latin-1") + b"\0"
        except UnicodeEncodeError:
            raise PduError(
                CommandStatus.ESME_RINVOPTPARAMVAL, f"TLV {self.name} is not latin-1"
            ) from None

    def _check(self, value: TlvValue) -> str:
        if isinstance(value, str):
            return value
        raise TypeError(f"TLV {self.name} holds {value!r}, not a str")


class OctetsTlv(TlvSpec[bytes]):
    """An opaque octet string (message_payload, subaddresses, callback_num...)."""

    __slots__ = ()

    def _decode(self, raw: bytes) -> bytes:
        return raw

    def _encode(self, value: TlvValue) -> bytes:
        raise PduError(CommandStatus.ESME_RINVOPTPARAMVAL, f"TLV {self.name} needs bytes")

    def _check(self, value: TlvValue) -> bytes:
        raise TypeError(f"TLV {self.name} holds {value!r}, not bytes")


class NetworkErrorTlv(TlvSpec[NetworkErrorCode]):
    __slots__ = ()

    def __init__(self, tag: int, name: str) -> None:
        super().__init__(tag, name, 3, 3)

    def _decode(self, raw: bytes) -> NetworkErrorCode:
        return NetworkErrorCode(*_NETWORK_ERROR.unpack(raw))

    def _encode(self, value: TlvValue) -> bytes:
        if not isinstance(value, NetworkErrorCode):
            raise PduError(CommandStatus.ESME_RINVOPTPARAMVAL, f"TLV {self.name} type")
        try:
            return _NETWORK_ERROR.pack(value.network_type, value.error_code)
        except struct.error:
            raise PduError(CommandStatus.ESME_RINVOPTPARAMVAL, f"TLV {self.name} range") from None

    def _check(self, value: TlvValue) -> NetworkErrorCode:
        if isinstance(value, NetworkErrorCode):
            return value
        raise TypeError(f"TLV {self.name} holds {value!r}, not a NetworkErrorCode")


DEST_ADDR_SUBUNIT = IntTlv(0x0005, "dest_addr_subunit", 1)
DEST_NETWORK_TYPE = IntTlv(0x0006, "dest_network_type", 1)
DEST_BEARER_TYPE = IntTlv(0x0007, "dest_bearer_type", 1)
DEST_TELEMATICS_ID = IntTlv(0x0008, "dest_telematics_id", 2)
SOURCE_ADDR_SUBUNIT = IntTlv(0x000D, "source_addr_subunit", 1)
SOURCE_NETWORK_TYPE = IntTlv(0x000E, "source_network_type", 1)
SOURCE_BEARER_TYPE = IntTlv(0x000F, "source_bearer_type", 1)
# SMPP 3.4 gives this one a single octet, unlike dest_telematics_id; libraries disagree, so
# it is kept as raw octets (1 or 2) rather than rejecting either form.
SOURCE_TELEMATICS_ID = OctetsTlv(0x0010, "source_telematics_id", 1, 2)
QOS_TIME_TO_LIVE = IntTlv(0x0017, "qos_time_to_live", 4)
PAYLOAD_TYPE = IntTlv(0x0019, "payload_type", 1)
ADDITIONAL_STATUS_INFO_TEXT = CStringTlv(0x001D, "additional_status_info_text", 256)
RECEIPTED_MESSAGE_ID = CStringTlv(0x001E, "receipted_message_id", 65)
MS_MSG_WAIT_FACILITIES = IntTlv(0x0030, "ms_msg_wait_facilities", 1)
PRIVACY_INDICATOR = IntTlv(0x0201, "privacy_indicator", 1)
SOURCE_SUBADDRESS = OctetsTlv(0x0202, "source_subaddress", 2, 23)
DEST_SUBADDRESS = OctetsTlv(0x0203, "dest_subaddress", 2, 23)
USER_MESSAGE_REFERENCE = IntTlv(0x0204, "user_message_reference", 2)
USER_RESPONSE_CODE = IntTlv(0x0205, "user_response_code", 1)
SOURCE_PORT = IntTlv(0x020A, "source_port", 2)
DESTINATION_PORT = IntTlv(0x020B, "destination_port", 2)
SAR_MSG_REF_NUM = IntTlv(0x020C, "sar_msg_ref_num", 2)
LANGUAGE_INDICATOR = IntTlv(0x020D, "language_indicator", 1)
SAR_TOTAL_SEGMENTS = IntTlv(0x020E, "sar_total_segments", 1)
SAR_SEGMENT_SEQNUM = IntTlv(0x020F, "sar_segment_seqnum", 1)
SC_INTERFACE_VERSION = IntTlv(0x0210, "sc_interface_version", 1)
CALLBACK_NUM_PRES_IND = IntTlv(0x0302, "callback_num_pres_ind", 1)
CALLBACK_NUM_ATAG = OctetsTlv(0x0303, "callback_num_atag", 0, 65)
NUMBER_OF_MESSAGES = IntTlv(0x0304, "number_of_messages", 1)
CALLBACK_NUM = OctetsTlv(0x0381, "callback_num", 4, 19)
DPF_RESULT = IntTlv(0x0420, "dpf_result", 1)
SET_DPF = IntTlv(0x0421, "set_dpf", 1)
MS_AVAILABILITY_STATUS = IntTlv(0x0422, "ms_availability_status", 1)
NETWORK_ERROR_CODE = NetworkErrorTlv(0x0423, "network_error_code")
MESSAGE_PAYLOAD = OctetsTlv(0x0424, "message_payload", 0, 0xFFFF)
DELIVERY_FAILURE_REASON = IntTlv(0x0425, "delivery_failure_reason", 1)
MORE_MESSAGES_TO_SEND = IntTlv(0x0426, "more_messages_to_send", 1)
MESSAGE_STATE = IntTlv(0x0427, "message_state", 1)
USSD_SERVICE_OP = IntTlv(0x0501, "ussd_service_op", 1)
DISPLAY_TIME = IntTlv(0x1201, "display_time", 1)
SMS_SIGNAL = IntTlv(0x1203, "sms_signal", 2)
MS_VALIDITY = IntTlv(0x1204, "ms_validity", 1)
ALERT_ON_MESSAGE_DELIVERY = OctetsTlv(0x130C, "alert_on_message_delivery", 0, 0)
ITS_REPLY_TYPE = IntTlv(0x1380, "its_reply_type", 1)
ITS_SESSION_INFO = OctetsTlv(0x1383, "its_session_info", 2, 2)

REGISTRY: Mapping[int, TlvSpec[Any]] = {
    spec.tag: spec for spec in list(globals().values()) if isinstance(spec, TlvSpec)
}
BY_NAME: Mapping[str, TlvSpec[Any]] = {spec.name: spec for spec in REGISTRY.values()}


def decode_tlvs(buf: bytes, pos: int, end: int) -> dict[int, TlvValue]:
    """Decode the TLVs in buf[pos:end]; registered tags typed, others raw."""
    tlvs: dict[int, TlvValue] = {}
    registry = REGISTRY
    while pos < end:
        if end - pos < 4:
            raise PduError(CommandStatus.ESME_RINVOPTPARSTREAM, "truncated TLV header")
        tag, length = _TAG_LENGTH.unpack_from(buf, pos)
        pos += 4
        if pos + length > end:
            raise PduError(CommandStatus.ESME_RINVOPTPARSTREAM, f"TLV 0x{tag:04X} overruns PDU")
        if tag in tlvs:
            raise PduError(CommandStatus.ESME_RINVOPTPARSTREAM, f"TLV 0x{tag:04X} repeated")
        raw = buf[pos : pos + length]
        pos += length
        spec = registry.get(tag)
        tlvs[tag] = raw if spec is None else spec.decode(raw)
    return tlvs


def encode_tlvs(tlvs: Mapping[int, TlvValue]) -> bytes:
    parts: list[bytes] = []
    for tag, value in tlvs.items():
        spec = REGISTRY.get(tag)
        if spec is not None:
            raw = spec.encode(value)
        elif isinstance(value, bytes):
            raw = value
        else:
            raise PduError(
                CommandStatus.ESME_RINVOPTPARAMVAL, f"unknown TLV 0x{tag:04X} needs bytes"
            )
        try:
            parts.append(_TAG_LENGTH.pack(tag, len(raw)))
        except struct.error:
            raise PduError(CommandStatus.ESME_RINVPARLEN, f"TLV 0x{tag:04X} too long") from None
        parts.append(raw)
    return b"".join(parts)
