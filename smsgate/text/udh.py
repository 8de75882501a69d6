"""Concatenated SMS: the Concat methods, UDH build and parse, reassembly of parts.

Reference numbers, totals and sequences follow 3GPP TS 23.040 section 9.2.3.24.1 (8-bit
reference, IEI 0x00) and 9.2.3.24.8 (16-bit reference, IEI 0x08); SAR TLVs carry the same
three values outside the payload.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Generic, TypeVar

from .errors import InvalidConcat, InvalidUdh

IEI_CONCAT_8BIT: Final = 0x00
IEI_CONCAT_16BIT: Final = 0x08


class Concat(StrEnum):
    """How a message longer than one SMS travels over SMPP."""

    UDH8 = "udh8"  # user data header, 8-bit reference: 6 octets per part
    UDH16 = "udh16"  # user data header, 16-bit reference: 7 octets per part
    SAR = "sar"  # sar_* TLVs, no header in the payload
    PAYLOAD = "payload"  # the whole text in message_payload; the SMSC splits it


@dataclass(frozen=True, slots=True)
class ConcatInfo:
    """Position of one part: the shared reference, the number of parts, this part (from 1)."""

    reference: int
    total: int
    sequence: int


def check_concat(info: ConcatInfo) -> None:
    """Raise InvalidConcat unless `info` can describe a part of a message."""
    if not 0 <= info.reference <= 0xFFFF:
        raise InvalidConcat(f"reference {info.reference} is outside 0-65535")
    if not 1 <= info.total <= 255:
        raise InvalidConcat(f"total {info.total} is outside 1-255")
    if not 1 <= info.sequence <= info.total:
        raise InvalidConcat(f"sequence {info.sequence} is outside 1-{info.total}")


def build_udh(info: ConcatInfo, concat: Concat = Concat.UDH8) -> bytes:
    """The whole user data header (UDHL included) for one part, UDH8 or UDH16."""
    check_concat(info)
    if concat == Concat.UDH8:
        if info.reference > 0xFF:
            raise InvalidConcat(f"reference {info.reference} does not fit an 8-bit UDH")
        return bytes((5, IEI_CONCAT_8BIT, 3, info.reference, info.total, info.sequence))
    if concat == Concat.UDH16:
        high, low = divmod(info.reference, 256)
        return bytes((6, IEI_CONCAT_16BIT, 4, high, low, info.total, info.sequence))
    raise ValueError(f"{concat!r} puts no header in the payload")


@dataclass(frozen=True, slots=True)
class InformationElement:
    """One element of a user data header, kept as raw data."""

    iei: int
    data: bytes


@dataclass(frozen=True, slots=True)
class ParsedUdh:
    """A short_message split into its header and payload.

    `concat` comes from the last concatenation element (TS 23.040 9.2.3.24: when an
    element repeats, the last one counts); `elements` holds every element in order.
    """

    concat: ConcatInfo | None
    elements: tuple[InformationElement, ...]
    payload: bytes


def parse_udh(short_message: bytes) -> ParsedUdh:
    """Split a short_message sent with UDHI (esm_class 0x40) into header and payload.

    Elements other than concatenation are kept but not interpreted. Lengths that do not
    add up, and concatenation values out of range, raise InvalidUdh.
    """
    if not short_message:
        raise InvalidUdh("UDHI is set but the message is empty")
    header_end = 1 + short_message[0]
    if header_end > len(short_message):
        raise InvalidUdh(
            f"header length {short_message[0]} exceeds the {len(short_message) - 1} octets after it"
        )
    elements: list[InformationElement] = []
    concat: ConcatInfo | None = None
    index = 1
    while index < header_end:
        if index + 2 > header_end:
            raise InvalidUdh(f"element at offset {index} is cut off by the header end")
        iei = short_message[index]
        data_end = index + 2 + short_message[index + 1]
        if data_end > header_end:
            raise InvalidUdh(f"element 0x{iei:02X} at offset {index} overruns the header")
        data = short_message[index + 2 : data_end]
        elements.append(InformationElement(iei, data))
        if iei in (IEI_CONCAT_8BIT, IEI_CONCAT_16BIT):
            concat = _concat_element(iei, data)
        index = data_end
    return ParsedUdh(concat, tuple(elements), short_message[header_end:])


def _concat_element(iei: int, data: bytes) -> ConcatInfo:
    if iei == IEI_CONCAT_8BIT:
        if len(data) != 3:
            raise InvalidUdh(f"8-bit concatenation element has {len(data)} octets, not 3")
        info = ConcatInfo(data[0], data[1], data[2])
    else:
        if len(data) != 4:
            raise InvalidUdh(f"16-bit concatenation element has {len(data)} octets, not 4")
        info = ConcatInfo(data[0] << 8 | data[1], data[2], data[3])
    try:
        check_concat(info)
    except InvalidConcat as exc:
        raise InvalidUdh(str(exc)) from None
    return info


def join_parts(parts: Iterable[tuple[ConcatInfo, bytes]]) -> bytes:
    """Payloads of every part of one message joined in sequence order.

    Decode after joining: a UCS-2 character or a GSM escape may straddle two parts when
    another sender split them. Missing, repeated or inconsistent parts raise InvalidConcat.
    """
    ordered = sorted(parts, key=lambda part: part[0].sequence)
    if not ordered:
        raise InvalidConcat("no parts to join")
    first = ordered[0][0]
    for expected, (info, _payload) in enumerate(ordered, start=1):
        check_concat(info)
        if (info.reference, info.total) != (first.reference, first.total):
            raise InvalidConcat(f"part {info.sequence} belongs to another message")
        if info.sequence != expected:
            raise InvalidConcat(f"part {expected} of {first.total} is missing or repeated")
    if len(ordered) != first.total:
        raise InvalidConcat(f"{len(ordered)} parts of {first.total} received")
    return b"".join(payload for _info, payload in ordered)


KeyT = TypeVar("KeyT", bound=Hashable)


@dataclass(slots=True)
class _PendingMessage:
    first_seen: float
    payloads: dict[int, bytes] = field(default_factory=dict)


class Reassembler(Generic[KeyT]):
    """Collects parts of concatenated messages until each is complete.

    `key` tells senders apart (for MO: source and destination address); parts are grouped
    by key, reference and total. A repeated part replaces the earlier copy. Time is an
    argument: call `expire` periodically to drop messages whose parts never all came.
    """

    def __init__(self) -> None:
        self._pending: dict[tuple[KeyT, int, int], _PendingMessage] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, key: KeyT, info: ConcatInfo, payload: bytes, *, now: float = 0.0) -> bytes | None:
        """Store one part; return the joined payload once every part is in, else None."""
        check_concat(info)
        if info.total == 1:
            return payload
        group = (key, info.reference, info.total)
        pending = self._pending.get(group)
        if pending is None:
            pending = self._pending[group] = _PendingMessage(now)
        pending.payloads[info.sequence] = payload
        if len(pending.payloads) < info.total:
            return None
        del self._pending[group]
        return b"".join(pending.payloads[sequence] for sequence in range(1, info.total + 1))

    def expire(self, older_than: float) -> list[KeyT]:
        """Drop incomplete messages first seen before `older_than`; return their keys."""
        stale = [
            group for group, pending in self._pending.items() if pending.first_seen < older_than
        ]
        for group in stale:
            del self._pending[group]
        return [group[0] for group in stale]
