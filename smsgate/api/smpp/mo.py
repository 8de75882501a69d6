"""An MO as the deliver_sm PDUs a customer's receiver bind gets (docs/inbound.md, "SMPP binds").

esm_class 0x00 (0x40 with a UDH), data_coding from the stored encoding (binary: the raw
bytes of the stored hex), TON/NPI from the addresses' shapes; a long MO as one PDU per
part with an 8-bit concatenation UDH, or as one PDU with the text in message_payload.
"""

from __future__ import annotations

from smsgate.services.inbound_plan import PAYLOAD
from smsgate.services.smpp_customers import InboundSms
from smsgate.smpp import DeliverSm, EsmClass, Npi, Ton, tlv
from smsgate.text import (
    SINGLE_PART_UNITS,
    Encoding,
    TextError,
    data_coding_for,
    encode,
    is_gsm7,
    plan,
    plan_binary,
)

Address = tuple[int, int, str]
MAX_PARTS = 255
SHORT_CODE_DIGITS = 8  # longer digit strings are international numbers written without '+'


def mo_address(value: str) -> Address:
    """(ton, npi, address) of an MO's sender or number: international for E.164 (with or
    without '+', as inbound numbers are read), unknown/ISDN for a short code,
    alphanumeric otherwise."""
    digits = value.removeprefix("+")
    if digits.isascii() and digits.isdigit():
        if value.startswith("+") or len(digits) > SHORT_CODE_DIGITS:
            return Ton.INTERNATIONAL, Npi.ISDN, digits
        return Ton.UNKNOWN, Npi.ISDN, digits
    if not value:
        return Ton.UNKNOWN, Npi.UNKNOWN, ""
    return Ton.ALPHANUMERIC, Npi.UNKNOWN, value


def mo_pdus(mo: InboundSms, long: str) -> list[DeliverSm]:
    """The deliver_sm of `mo`, in order; a long one as `long` says (inbound_plan.UDH or
    PAYLOAD). Each part of a UDH-split MO carries the reference `mo.id` mod 256, so a
    retried MO is the same message to the customer's reassembly."""
    encoding, data = mo_bytes(mo)
    source, destination = mo_address(mo.source), mo_address(mo.destination)

    def pdu(short_message: bytes) -> DeliverSm:
        made = DeliverSm(data_coding=data_coding_for(encoding), short_message=short_message)
        made.source_addr_ton, made.source_addr_npi, made.source_addr = source
        made.dest_addr_ton, made.dest_addr_npi, made.destination_addr = destination
        return made

    width = 2 if encoding is Encoding.UCS2 else 1
    if len(data) <= SINGLE_PART_UNITS[encoding] * width:
        return [pdu(data)]
    parts = None if long == PAYLOAD else _udh_parts(mo, encoding, data)
    if parts is None:
        whole = pdu(b"")
        whole.tlvs[tlv.MESSAGE_PAYLOAD.tag] = data
        return [whole]
    pdus = [pdu(part) for part in parts]
    for part_pdu in pdus:
        part_pdu.esm_class = EsmClass.UDHI
    return pdus


def mo_bytes(mo: InboundSms) -> tuple[Encoding, bytes]:
    """The encoding an MO goes out in and its bytes: its stored encoding, the raw bytes of
    the hex for `binary`; text its stored encoding cannot carry (or hex that is not hex)
    goes out as GSM 7-bit when it can, else UCS-2."""
    try:
        encoding = Encoding(mo.encoding)
    except ValueError:
        encoding = Encoding.AUTO
    if encoding is Encoding.BINARY:
        try:
            return encoding, bytes.fromhex(mo.text)
        except ValueError:
            encoding = Encoding.AUTO
    if encoding is not Encoding.AUTO:
        try:
            return encoding, encode(mo.text, encoding)
        except TextError:
            pass
    fallback = Encoding.GSM7 if is_gsm7(mo.text) else Encoding.UCS2
    return fallback, encode(mo.text, fallback)


def _udh_parts(mo: InboundSms, encoding: Encoding, data: bytes) -> list[bytes] | None:
    """Each part's short_message (UDH and payload); None when it needs more than
    MAX_PARTS (it goes out in message_payload then)."""
    reference = mo.id & 0xFF
    try:
        if encoding is Encoding.BINARY:
            planned = plan_binary(data, max_parts=MAX_PARTS, reference=reference)
        else:
            planned = plan(mo.text, encoding=encoding, max_parts=MAX_PARTS, reference=reference)
    except TextError:
        return None
    return [part.udh + part.payload for part in planned.parts]
