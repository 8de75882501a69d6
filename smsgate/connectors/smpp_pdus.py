"""The submit_sm PDUs an SMPP connector sends for a message: its stored plan (encoding,
concatenation as UDH, SAR or message_payload, parts) rendered with the connector's
addressing (TON/NPI) and default alphabet."""

from __future__ import annotations

from typing import Any

from smsgate.connectors.smpp_settings import SmppSettings
from smsgate.core.messages import Message
from smsgate.smpp import EsmClass, SubmitSm, tlv
from smsgate.text import Concat, Encoding, TextError, data_coding_for, encode, plan


def submit_pdus(settings: SmppSettings, message: Message, reference: int) -> list[SubmitSm]:
    """The submit_sm PDUs of one message, in order, its concatenation numbered `reference`
    (raises TextError when unencodable)."""
    s = settings
    sender_digits = message.sender.removeprefix("+")
    numeric = sender_digits.isdigit()
    if s.source_ton is not None:
        source_ton, source_npi = s.source_ton, s.source_npi or 0
    else:
        source_ton, source_npi = (1, 1) if numeric else (5, 0)
    base: dict[str, Any] = {
        "source_addr_ton": source_ton,
        "source_addr_npi": source_npi,
        "source_addr": sender_digits if numeric else message.sender,
        "dest_addr_ton": s.dest_ton,
        "dest_addr_npi": s.dest_npi,
        "destination_addr": message.to.removeprefix("+"),
        "registered_delivery": 1,
    }
    if message.udh:
        encoding = segment_encoding(settings, message)
        payload = encode(message.text, encoding)
        return [
            SubmitSm(
                **base,
                esm_class=EsmClass.UDHI,
                data_coding=data_coding_for(encoding),
                short_message=message.udh + payload,
            )
        ]
    concat = Concat(message.concat)
    planned = plan(
        message.text,
        encoding=Encoding(message.encoding),
        concat=concat,
        max_parts=255,
        reference=reference,
    )
    if planned.sms_count != message.parts:
        raise ValueError(f"{planned.sms_count} parts, not the {message.parts} planned")
    data_coding = data_coding_for(planned.encoding)
    pdus = []
    for segment in planned.parts:
        tlvs: dict[int, tlv.TlvValue] = {}
        short_message = segment.udh + segment.payload
        if concat is Concat.PAYLOAD and planned.sms_count > 1:
            tlvs[tlv.MESSAGE_PAYLOAD.tag] = segment.payload
            short_message = b""
        elif concat is Concat.SAR and segment.concat is not None:
            tlvs[tlv.SAR_MSG_REF_NUM.tag] = segment.concat.reference
            tlvs[tlv.SAR_TOTAL_SEGMENTS.tag] = segment.concat.total
            tlvs[tlv.SAR_SEGMENT_SEQNUM.tag] = segment.concat.sequence
        esm_class = EsmClass.UDHI if segment.udh else 0
        pdus.append(
            SubmitSm(
                **base,
                esm_class=esm_class,
                data_coding=data_coding,
                short_message=short_message,
                tlvs=tlvs,
            )
        )
    return pdus


def segment_encoding(settings: SmppSettings, message: Message) -> Encoding:
    """A customer's own segment in GSM 7-bit goes out in the connector's default
    alphabet when it fits (it stays one part whatever the encoding)."""
    try:
        encoding = Encoding(message.encoding)
    except ValueError:
        encoding = Encoding.AUTO
    if encoding is Encoding.GSM7 and settings.default_alphabet == "latin1":
        try:
            encode(message.text, Encoding.LATIN1)
        except TextError:
            return Encoding.UCS2
        return Encoding.LATIN1
    return encoding if encoding is not Encoding.BINARY else Encoding.AUTO
