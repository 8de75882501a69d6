"""Message planning: choose the encoding, count units, split into SMS parts.

Every part is returned, or TextTooLong is raised: text is never truncated. A part never
ends between a GSM escape and its character, nor inside a UTF-16 surrogate pair.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Final, NamedTuple

from .encoding import Encoding, encode
from .errors import EmptyText, TextTooLong
from .gsm7 import ESC, encode_gsm7, try_encode_gsm7
from .transliteration import TRANSLITERATION_TABLE
from .ucs2 import encode_ucs2
from .udh import Concat, ConcatInfo, build_udh

# Units per part: septets (GSM7), octets (LATIN1, BINARY) or UTF-16 code units (UCS2).
# A single SMS carries 140 octets of user data; a multipart header takes 6 (UDH8) or
# 7 (UDH16) of them, rounded up to whole septets for GSM7. SAR and PAYLOAD carry no
# header, but the SMSC splits SAR and PAYLOAD messages with an 8-bit UDH on the air.
SINGLE_PART_UNITS: Final[dict[Encoding, int]] = {
    Encoding.GSM7: 160,
    Encoding.UCS2: 70,
    Encoding.LATIN1: 140,
    Encoding.BINARY: 140,
}
_UDH8_UNITS: Final = {
    Encoding.GSM7: 153,
    Encoding.UCS2: 67,
    Encoding.LATIN1: 134,
    Encoding.BINARY: 134,
}
_UDH16_UNITS: Final = {
    Encoding.GSM7: 152,
    Encoding.UCS2: 66,
    Encoding.LATIN1: 133,
    Encoding.BINARY: 133,
}
MULTIPART_UNITS: Final[dict[Concat, dict[Encoding, int]]] = {
    Concat.UDH8: _UDH8_UNITS,
    Concat.UDH16: _UDH16_UNITS,
    Concat.SAR: _UDH8_UNITS,
    Concat.PAYLOAD: _UDH8_UNITS,
}
MAX_PARTS_LIMIT: Final = 255


@dataclass(frozen=True, slots=True)
class Segment:
    """One SMS: the characters it shows and the bytes that carry them.

    short_message is `udh + payload`. `udh` is empty unless the message has several
    parts and uses UDH8/UDH16; `concat` is set on every part of a multipart message
    (for SAR it holds the sar_msg_ref_num, sar_total_segments and sar_segment_seqnum).
    """

    text: str
    payload: bytes
    udh: bytes
    concat: ConcatInfo | None
    units: int


@dataclass(frozen=True, slots=True)
class MessagePlan:
    """How a message goes out.

    `units_per_part` is the capacity of each part (it drops from 160 to 153 septets once
    there are two parts); `units_left` is what still fits in the last part. With
    Concat.PAYLOAD the message stays one Segment (count == 1) and `sms_count` is the
    number of SMS the SMSC will make of it; otherwise `sms_count == count`. Price on
    `sms_count`.
    """

    encoding: Encoding
    parts: tuple[Segment, ...]
    units: int
    units_per_part: int
    units_left: int
    sms_count: int

    @property
    def count(self) -> int:
        return len(self.parts)

    @property
    def text(self) -> str:
        """The text sent: the input, transliterated when that was asked for and used."""
        return "".join(part.text for part in self.parts)


# _concat_info, _segment and _message_plan build the frozen plan objects through their
# slot descriptors rather than their __init__ (docs/architecture.md, "Measurements
# behind the code").
def _slot_setters(cls: type) -> dict[str, Callable[[object, object], None]]:
    return {field.name: cls.__dict__[field.name].__set__ for field in fields(cls)}


_SEGMENT = _slot_setters(Segment)
_PLAN = _slot_setters(MessagePlan)
_CONCAT = _slot_setters(ConcatInfo)


def _concat_info(reference: int, total: int, sequence: int) -> ConcatInfo:
    info: ConcatInfo = object.__new__(ConcatInfo)
    _CONCAT["reference"](info, reference)
    _CONCAT["total"](info, total)
    _CONCAT["sequence"](info, sequence)
    return info


def _segment(
    text: str, payload: bytes, udh: bytes, concat: ConcatInfo | None, units: int
) -> Segment:
    segment: Segment = object.__new__(Segment)
    _SEGMENT["text"](segment, text)
    _SEGMENT["payload"](segment, payload)
    _SEGMENT["udh"](segment, udh)
    _SEGMENT["concat"](segment, concat)
    _SEGMENT["units"](segment, units)
    return segment


def _message_plan(
    encoding: Encoding,
    parts: tuple[Segment, ...],
    units: int,
    units_per_part: int,
    units_left: int,
    sms_count: int,
) -> MessagePlan:
    message_plan: MessagePlan = object.__new__(MessagePlan)
    _PLAN["encoding"](message_plan, encoding)
    _PLAN["parts"](message_plan, parts)
    _PLAN["units"](message_plan, units)
    _PLAN["units_per_part"](message_plan, units_per_part)
    _PLAN["units_left"](message_plan, units_left)
    _PLAN["sms_count"](message_plan, sms_count)
    return message_plan


class UnitCount(NamedTuple):
    """What pricing needs, without building parts: encoding, SMS count, units used."""

    encoding: Encoding
    parts: int
    units: int


def plan(
    text: str,
    *,
    encoding: Encoding = Encoding.AUTO,
    concat: Concat = Concat.UDH8,
    max_parts: int = 10,
    reference: int = 0,
    transliterate: bool = False,
) -> MessagePlan:
    """Encode and split `text` into parts.

    AUTO picks GSM7 when every character is in GSM 03.38 (after transliteration when
    `transliterate` is true), else UCS2 with the text unchanged. Transliteration applies
    only to GSM7 and AUTO. `reference` is reduced modulo 256 for UDH8 and 65536 for
    UDH16 and SAR, so a running counter may be passed as it is. With Concat.PAYLOAD the
    text must fit in `max_parts` UDH8-sized parts (max_parts * 153 septets at most).
    """
    _check_limits(max_parts, reference)
    chosen, sent_text, payload = _encode_text(text, encoding, transliterate)
    return _plan_payload(chosen, sent_text, payload, concat, max_parts, reference)


def plan_binary(
    data: bytes,
    *,
    concat: Concat = Concat.UDH8,
    max_parts: int = 10,
    reference: int = 0,
) -> MessagePlan:
    """Split 8-bit data (140 octets in one SMS, 134 per part with UDH8, 133 with UDH16)."""
    _check_limits(max_parts, reference)
    if not data:
        raise EmptyText
    return _plan_payload(Encoding.BINARY, "", bytes(data), concat, max_parts, reference)


def count_units(
    text: str,
    *,
    encoding: Encoding = Encoding.AUTO,
    concat: Concat = Concat.UDH8,
    transliterate: bool = False,
) -> UnitCount:
    """Encoding, number of SMS and units of `text`, as plan() would give, without a limit.

    `parts` equals plan(...).sms_count; no Segment or header is built.
    """
    chosen, sent_text, payload = _encode_text(text, encoding, transliterate)
    width = 2 if chosen == Encoding.UCS2 else 1
    units = len(payload) // width
    if units <= SINGLE_PART_UNITS[chosen]:
        return UnitCount(chosen, 1, units)
    size = _multipart_units(concat, chosen)
    if not _may_straddle(chosen, payload, len(sent_text)):
        return UnitCount(chosen, -(-units // size), units)
    return UnitCount(chosen, len(_part_ends(chosen, payload, size * width)), units)


def _check_limits(max_parts: int, reference: int) -> None:
    if not 1 <= max_parts <= MAX_PARTS_LIMIT:
        raise ValueError(f"max_parts must be between 1 and {MAX_PARTS_LIMIT}, not {max_parts}")
    if reference < 0:
        raise ValueError(f"reference must not be negative, not {reference}")


def _multipart_units(concat: Concat, encoding: Encoding) -> int:
    try:
        return MULTIPART_UNITS[concat][encoding]
    except KeyError:
        raise ValueError(f"unknown concatenation method {concat!r}") from None


def _encode_text(text: str, encoding: Encoding, transliterate: bool) -> tuple[Encoding, str, bytes]:
    if not text:
        raise EmptyText
    if encoding == Encoding.AUTO:
        gsm_text = text.translate(TRANSLITERATION_TABLE) if transliterate else text
        septets = try_encode_gsm7(gsm_text)
        if septets is not None:
            if not septets:
                raise EmptyText
            return Encoding.GSM7, gsm_text, septets
        return Encoding.UCS2, text, encode_ucs2(text)
    if encoding == Encoding.GSM7:
        gsm_text = text.translate(TRANSLITERATION_TABLE) if transliterate else text
        if not gsm_text:
            raise EmptyText
        return Encoding.GSM7, gsm_text, encode_gsm7(gsm_text)
    if encoding == Encoding.UCS2:
        return Encoding.UCS2, text, encode_ucs2(text)
    if encoding == Encoding.LATIN1:
        return Encoding.LATIN1, text, encode(text, Encoding.LATIN1)
    raise ValueError(f"plan() takes auto, gsm7, ucs2 or latin1, not {encoding!r}; see plan_binary")


def _may_straddle(encoding: Encoding, payload: bytes, length: int) -> bool:
    """Whether some character takes two units, so a part boundary may have to move."""
    if encoding == Encoding.GSM7:
        return ESC in payload
    if encoding == Encoding.UCS2:
        return len(payload) != 2 * length
    return False


def _part_ends(encoding: Encoding, payload: bytes, size: int) -> list[int]:
    """Byte offsets where each part ends, for parts of at most `size` bytes."""
    ends: list[int] = []
    total = len(payload)
    start = 0
    if encoding == Encoding.GSM7:
        # Every ESC octet starts a pair: no extension code and no basic character is 0x1B.
        while total - start > size:
            end = start + size
            if payload[end - 1] == ESC:
                end -= 1
            ends.append(end)
            start = end
    elif encoding == Encoding.UCS2:
        while total - start > size:
            end = start + size
            if 0xD8 <= payload[end - 2] <= 0xDB:
                end -= 2
            ends.append(end)
            start = end
    else:
        ends.extend(range(size, total, size))
    ends.append(total)
    return ends


def _plan_payload(
    encoding: Encoding,
    text: str,
    payload: bytes,
    concat: Concat,
    max_parts: int,
    reference: int,
) -> MessagePlan:
    width = 2 if encoding == Encoding.UCS2 else 1
    units = len(payload) // width
    single = SINGLE_PART_UNITS[encoding]
    if units <= single:
        only = _segment(text, payload, b"", None, units)
        return _message_plan(encoding, (only,), units, single, single - units, 1)
    size = _multipart_units(concat, encoding)
    ends = _part_ends(encoding, payload, size * width)
    total = len(ends)
    if total > max_parts:
        raise TextTooLong(total, max_parts)
    units_left = size - (ends[-1] - ends[-2]) // width
    if concat == Concat.PAYLOAD:
        whole = _segment(text, payload, b"", None, units)
        return _message_plan(encoding, (whole,), units, size, units_left, total)
    reference &= 0xFF if concat == Concat.UDH8 else 0xFFFF
    # Parts differ only in the last header octet, the sequence number.
    udh_head = (
        build_udh(ConcatInfo(reference, total, 1), concat)[:-1]
        if concat in (Concat.UDH8, Concat.UDH16)
        else None
    )
    parts: list[Segment] = []
    start = 0
    shown = 0
    for sequence, end in enumerate(ends, start=1):
        chunk = payload[start:end]
        if width == 2:
            part_text = chunk.decode("utf-16-be")
        elif encoding == Encoding.BINARY:
            part_text = ""
        else:
            length = len(chunk) - chunk.count(ESC) if encoding == Encoding.GSM7 else len(chunk)
            part_text = text[shown : shown + length]
            shown += length
        udh = b"" if udh_head is None else udh_head + bytes((sequence,))
        info = _concat_info(reference, total, sequence)
        parts.append(_segment(part_text, chunk, udh, info, (end - start) // width))
        start = end
    return _message_plan(encoding, tuple(parts), units, size, units_left, total)
