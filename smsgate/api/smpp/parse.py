"""SMPP requests of customers parsed into SubmitCommands, and SMPP times both ways.

Text is decoded by data_coding; a segment the customer split (UDHI + UDH, or sar_* TLVs)
keeps its header as `udh`; message_payload is planned by us. Malformed input raises
InvalidRequest, whose `field` (the SMPP field that carried it) selects the command_status.
"""

from __future__ import annotations

import calendar
import re
import time

from smsgate.core.errors import InvalidRequest
from smsgate.core.storable import check_storable
from smsgate.services.submit import SubmitCommand
from smsgate.smpp import DataSm, EsmClass, RegisteredDelivery, SubmitMulti, SubmitSm, Ton, tlv
from smsgate.smpp.destinations import SmeAddress
from smsgate.text import (
    ConcatInfo,
    Encoding,
    TextError,
    UnpairedSurrogate,
    build_udh,
    decode,
    encoding_for_data_coding,
    parse_udh,
)

_TIME = re.compile(r"(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d)(\d{2})([-+R])")
_YEAR, _MONTH, _DAY = 365 * 86400, 30 * 86400, 86400


def parse_smpp_time(value: str, now: float, *, field: str) -> float | None:
    """Epoch seconds of an SMPP absolute ("YYMMDDhhmmsstnn+") or relative ("...R") time."""
    if not value:
        return None
    match = _TIME.fullmatch(value)
    if match is None:
        raise InvalidRequest(f"{field} {value!r} is not an SMPP time", field=field)
    yy, mo, dd, hh, mi, ss, tenths, quarters, sign = match.groups()
    if sign == "R":
        return now + (
            int(yy) * _YEAR
            + int(mo) * _MONTH
            + int(dd) * _DAY
            + int(hh) * 3600
            + int(mi) * 60
            + int(ss)
        )
    if not (1 <= int(mo) <= 12 and 1 <= int(dd) <= 31 and int(hh) < 24 and int(mi) < 60):
        raise InvalidRequest(f"{field} {value!r} is not a valid date", field=field)
    local = calendar.timegm((2000 + int(yy), int(mo), int(dd), int(hh), int(mi), int(ss), 0, 0, 0))
    offset = int(quarters) * 900
    return local + int(tenths) / 10 - (offset if sign == "+" else -offset)


def format_smpp_time(at: float) -> str:
    """An absolute SMPP time in UTC, as in query_sm_resp final_date."""
    return time.strftime("%y%m%d%H%M%S", time.gmtime(at)) + "000+"


def address(ton: int, digits: str) -> str:
    return "+" + digits if ton == Ton.INTERNATIONAL and digits.isdigit() else digits


def command_of(pdu: SubmitSm | DataSm | SubmitMulti, now: float) -> SubmitCommand:
    """The SubmitCommand of one submit_sm, data_sm or submit_multi."""
    if isinstance(pdu, SubmitMulti):
        to = tuple(
            address(d.dest_addr_ton, d.destination_addr)
            for d in pdu.dest_addresses
            if isinstance(d, SmeAddress)
        )
        if len(to) != len(pdu.dest_addresses):
            raise InvalidRequest("distribution lists are not supported", field="to")
    else:
        to = (address(pdu.dest_addr_ton, pdu.destination_addr),)
    short_message = b"" if isinstance(pdu, DataSm) else pdu.short_message
    scheduled = validity = None
    if not isinstance(pdu, DataSm):
        scheduled = parse_smpp_time(pdu.schedule_delivery_time, now, field="scheduled_at")
        expires = parse_smpp_time(pdu.validity_period, now, field="validity")
        if expires is not None:
            validity = int(expires - max(now, scheduled or now))
    text, encoding, udh = _content(pdu.esm_class, pdu.data_coding, short_message, pdu.tlvs)
    return SubmitCommand(
        to=to,
        sender=address(pdu.source_addr_ton, pdu.source_addr),
        text=text,
        encoding=encoding,
        scheduled_at=scheduled,
        validity=validity,
        registered_delivery=bool(pdu.registered_delivery & RegisteredDelivery.SMSC_RECEIPT),
        udh=udh,
    )


def _content(
    esm_class: int, data_coding: int, short_message: bytes, tlvs: dict[int, tlv.TlvValue]
) -> tuple[str, Encoding, bytes | None]:
    payload = tlv.MESSAGE_PAYLOAD.get(tlvs)
    if payload is not None and short_message:
        raise InvalidRequest("short_message and message_payload are both set", field="text")
    data = payload if payload is not None else short_message
    try:
        encoding = encoding_for_data_coding(data_coding)
    except TextError as exc:
        raise InvalidRequest(str(exc), field="data_coding") from exc
    if encoding is Encoding.BINARY:
        raise InvalidRequest("binary messages are not supported", field="data_coding")
    udh: bytes | None = None
    try:
        if esm_class & EsmClass.UDHI:
            parsed = parse_udh(data)
            udh, data = data[: len(data) - len(parsed.payload)], parsed.payload
        else:
            udh = _sar_udh(tlvs)
    except TextError as exc:
        raise InvalidRequest(str(exc), field="esm_class") from exc
    source = "short_message" if payload is None else "message_payload"
    try:
        text = decode(data, encoding)
    except UnpairedSurrogate as exc:
        raise InvalidRequest(str(exc), field=source) from exc
    except TextError as exc:
        raise InvalidRequest(str(exc), field="text") from exc
    check_storable(text, source)
    return text, Encoding.AUTO if encoding is Encoding.LATIN1 else encoding, udh


def _sar_udh(tlvs: dict[int, tlv.TlvValue]) -> bytes | None:
    reference = tlv.SAR_MSG_REF_NUM.get(tlvs)
    total = tlv.SAR_TOTAL_SEGMENTS.get(tlvs)
    sequence = tlv.SAR_SEGMENT_SEQNUM.get(tlvs)
    if reference is None and total is None and sequence is None:
        return None
    if reference is None or total is None or sequence is None:
        raise InvalidRequest("sar_* TLVs must come together", field="sar")
    # The 8-bit header of the air interface; the reference keeps its low octet.
    return build_udh(ConcatInfo(reference & 0xFF, total, sequence))
