"""UDH build/parse, join_parts and the Reassembler."""

from __future__ import annotations

import pytest

from smsgate.text import (
    Concat,
    ConcatInfo,
    InformationElement,
    InvalidConcat,
    InvalidUdh,
    Reassembler,
    TextError,
    build_udh,
    join_parts,
    parse_udh,
)


def test_build_udh8_and_udh16() -> None:
    assert build_udh(ConcatInfo(0x2A, 3, 1)).hex() == "0500032a0301"
    assert build_udh(ConcatInfo(0x1234, 3, 2), Concat.UDH16).hex() == "06080412340302"


@pytest.mark.parametrize(
    "info",
    [ConcatInfo(256, 2, 1), ConcatInfo(1, 0, 1), ConcatInfo(1, 2, 0), ConcatInfo(1, 2, 3)],
)
def test_build_udh_rejects_values_that_do_not_fit(info: ConcatInfo) -> None:
    with pytest.raises(InvalidConcat):
        build_udh(info)


@pytest.mark.parametrize("concat", [Concat.SAR, Concat.PAYLOAD])
def test_build_udh_only_for_header_methods(concat: Concat) -> None:
    with pytest.raises(ValueError):
        build_udh(ConcatInfo(1, 2, 1), concat)


def test_parse_udh8() -> None:
    parsed = parse_udh(bytes.fromhex("0500032a0301") + b"hello")
    assert parsed.concat == ConcatInfo(0x2A, 3, 1)
    assert parsed.payload == b"hello"
    assert parsed.elements == (InformationElement(0x00, bytes.fromhex("2a0301")),)


def test_parse_udh16() -> None:
    parsed = parse_udh(bytes.fromhex("06080412340302") + b"\x00h")
    assert parsed.concat == ConcatInfo(0x1234, 3, 2)
    assert parsed.payload == b"\x00h"


def test_parse_skips_other_elements() -> None:
    # Application port element (0x05, 4 octets) before the concatenation element.
    header = bytes.fromhex("0b" + "050400000000" + "0003070201")
    parsed = parse_udh(header + b"data")
    assert parsed.concat == ConcatInfo(7, 2, 1)
    assert [element.iei for element in parsed.elements] == [0x05, 0x00]
    assert parsed.payload == b"data"


def test_parse_header_without_concatenation() -> None:
    parsed = parse_udh(bytes.fromhex("0401020000") + b"x")
    assert parsed.concat is None
    assert parsed.payload == b"x"
    assert parse_udh(b"\x00abc").payload == b"abc"


def test_last_concatenation_element_counts() -> None:
    parsed = parse_udh(bytes.fromhex("0a" + "0003010201" + "0003020301"))
    assert parsed.concat == ConcatInfo(2, 3, 1)


@pytest.mark.parametrize(
    "short_message",
    [
        b"",
        bytes.fromhex("05000301"),  # header length beyond the message
        bytes.fromhex("0100"),  # element cut off after its identifier
        bytes.fromhex("020005"),  # element length beyond the header
        bytes.fromhex("0400020102"),  # 8-bit concatenation with 2 octets
        bytes.fromhex("050803010201"),  # 16-bit concatenation with 3 octets
        bytes.fromhex("0500030a0001"),  # total 0
        bytes.fromhex("0500030a0200"),  # sequence 0
        bytes.fromhex("0500030a0203"),  # sequence beyond total
        b"\xff" + bytes(10),
    ],
)
def test_malformed_headers_raise_invalid_udh(short_message: bytes) -> None:
    with pytest.raises(InvalidUdh) as raised:
        parse_udh(short_message)
    assert isinstance(raised.value, TextError)
    assert raised.value.code == "invalid_udh"


def test_join_parts_in_any_order() -> None:
    parts = [(ConcatInfo(5, 3, 3), b"c"), (ConcatInfo(5, 3, 1), b"a"), (ConcatInfo(5, 3, 2), b"b")]
    assert join_parts(parts) == b"abc"


@pytest.mark.parametrize(
    "parts",
    [
        [],
        [(ConcatInfo(5, 2, 1), b"a")],
        [(ConcatInfo(5, 2, 1), b"a"), (ConcatInfo(5, 2, 1), b"a")],
        [(ConcatInfo(5, 2, 1), b"a"), (ConcatInfo(6, 2, 2), b"b")],
        [(ConcatInfo(5, 2, 1), b"a"), (ConcatInfo(5, 3, 2), b"b")],
        [(ConcatInfo(5, 2, 1), b"a"), (ConcatInfo(5, 2, 2), b"b"), (ConcatInfo(5, 2, 3), b"c")],
    ],
)
def test_join_parts_rejects_incomplete_sets(parts: list[tuple[ConcatInfo, bytes]]) -> None:
    with pytest.raises(InvalidConcat) as raised:
        join_parts(parts)
    assert raised.value.code == "invalid_concat"


def test_reassembler_joins_when_complete() -> None:
    reassembler: Reassembler[tuple[str, str]] = Reassembler()
    key = ("+33600000001", "+33600000002")
    assert reassembler.add(key, ConcatInfo(9, 3, 2), b"b") is None
    assert reassembler.add(key, ConcatInfo(9, 3, 2), b"B") is None  # a resent part replaces
    assert reassembler.add(key, ConcatInfo(9, 3, 3), b"c") is None
    assert len(reassembler) == 1
    assert reassembler.add(key, ConcatInfo(9, 3, 1), b"a") == b"aBc"
    assert len(reassembler) == 0


def test_reassembler_keeps_senders_and_references_apart() -> None:
    reassembler: Reassembler[str] = Reassembler()
    assert reassembler.add("alice", ConcatInfo(1, 2, 1), b"a1") is None
    assert reassembler.add("bob", ConcatInfo(1, 2, 2), b"b2") is None
    assert reassembler.add("alice", ConcatInfo(2, 2, 2), b"x2") is None
    assert len(reassembler) == 3
    assert reassembler.add("alice", ConcatInfo(1, 2, 2), b"a2") == b"a1a2"


def test_reassembler_single_part_passes_through() -> None:
    reassembler: Reassembler[str] = Reassembler()
    assert reassembler.add("k", ConcatInfo(0, 1, 1), b"whole") == b"whole"
    assert len(reassembler) == 0


def test_reassembler_rejects_invalid_concat_values() -> None:
    reassembler: Reassembler[str] = Reassembler()
    with pytest.raises(InvalidConcat):
        reassembler.add("k", ConcatInfo(0, 2, 3), b"x")
    with pytest.raises(InvalidConcat):
        reassembler.add("k", ConcatInfo(70000, 2, 1), b"x")


def test_reassembler_expires_incomplete_messages() -> None:
    reassembler: Reassembler[str] = Reassembler()
    reassembler.add("old", ConcatInfo(1, 2, 1), b"a", now=100.0)
    reassembler.add("new", ConcatInfo(1, 2, 1), b"a", now=200.0)
    reassembler.add("old", ConcatInfo(1, 2, 1), b"a", now=250.0)
    assert reassembler.expire(older_than=150.0) == ["old"]
    assert len(reassembler) == 1
    assert reassembler.add("new", ConcatInfo(1, 2, 2), b"b") == b"ab"
