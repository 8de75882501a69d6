"""Golden cases for plan(), plan_binary() and count_units()."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from smsgate.text import (
    Concat,
    ConcatInfo,
    EmptyText,
    Encoding,
    MessagePlan,
    Segment,
    TextTooLong,
    UnencodableText,
    count_units,
    decode,
    plan,
    plan_binary,
)

GOLDEN: list[tuple[str, str, dict[str, Any], Encoding, list[int]]] = [
    # id, text, plan() keywords, encoding, units of each part
    ("gsm-160", "a" * 160, {}, Encoding.GSM7, [160]),
    ("gsm-161", "a" * 161, {}, Encoding.GSM7, [153, 8]),
    ("gsm-306", "a" * 306, {}, Encoding.GSM7, [153, 153]),
    ("gsm-307", "a" * 307, {}, Encoding.GSM7, [153, 153, 1]),
    ("gsm-1530", "a" * 1530, {}, Encoding.GSM7, [153] * 10),
    ("euro-moves-to-next-part", "a" * 152 + "€" + "b" * 10, {}, Encoding.GSM7, [152, 12]),
    ("euro-ends-part", "a" * 151 + "€" + "b" * 10, {}, Encoding.GSM7, [153, 10]),
    ("euro-single-160", "a" * 158 + "€", {}, Encoding.GSM7, [160]),
    ("euro-161", "a" * 159 + "€", {}, Encoding.GSM7, [153, 8]),
    ("braces-80", "{" * 80, {}, Encoding.GSM7, [160]),
    ("braces-81", "{" * 81, {}, Encoding.GSM7, [152, 10]),
    ("form-feed-80", "\f" * 80, {}, Encoding.GSM7, [160]),
    ("gsm-accents", "àèéìòùÄÖÜäöüÅåÆæØøÑñßÉÇ@£$¥§¿¡ΔΦΓΛΩΠΨΣΘΞ", {}, Encoding.GSM7, [40]),
    ("ucs2-70", "ж" * 70, {}, Encoding.UCS2, [70]),
    ("ucs2-71", "ж" * 71, {}, Encoding.UCS2, [67, 4]),
    ("ucs2-134", "ж" * 134, {}, Encoding.UCS2, [67, 67]),
    ("ucs2-135", "ж" * 135, {}, Encoding.UCS2, [67, 67, 1]),
    ("emoji-moves-to-next-part", "ж" * 66 + "😀" + "ж" * 5, {}, Encoding.UCS2, [66, 7]),
    ("emoji-ends-part", "ж" * 65 + "😀" + "ж" * 5, {}, Encoding.UCS2, [67, 5]),
    ("emoji-35", "😀" * 35, {}, Encoding.UCS2, [70]),
    ("emoji-36", "😀" * 36, {}, Encoding.UCS2, [66, 6]),
    ("one-non-gsm-char", "a" * 100 + "ç", {}, Encoding.UCS2, [67, 34]),
    ("forced-ucs2", "hello", {"encoding": Encoding.UCS2}, Encoding.UCS2, [5]),
    ("latin1-140", "é" * 140, {"encoding": Encoding.LATIN1}, Encoding.LATIN1, [140]),
    ("latin1-141", "é" * 141, {"encoding": Encoding.LATIN1}, Encoding.LATIN1, [134, 7]),
    ("udh16-gsm", "a" * 161, {"concat": Concat.UDH16}, Encoding.GSM7, [152, 9]),
    ("udh16-ucs2", "ж" * 71, {"concat": Concat.UDH16}, Encoding.UCS2, [66, 5]),
    (
        "udh16-latin1",
        "é" * 141,
        {"concat": Concat.UDH16, "encoding": Encoding.LATIN1},
        Encoding.LATIN1,
        [133, 8],
    ),
    ("sar-gsm", "a" * 161, {"concat": Concat.SAR}, Encoding.GSM7, [153, 8]),
    ("sar-ucs2", "ж" * 71, {"concat": Concat.SAR}, Encoding.UCS2, [67, 4]),
    ("transliterated", "‘quoted’ — ç…", {"transliterate": True}, Encoding.GSM7, [15]),
]


@pytest.mark.parametrize(
    ("text", "options", "encoding", "part_units"),
    [case[1:] for case in GOLDEN],
    ids=[case[0] for case in GOLDEN],
)
def test_golden_plans(
    text: str, options: dict[str, Any], encoding: Encoding, part_units: list[int]
) -> None:
    result = plan(text, **options)
    assert result.encoding == encoding
    assert [part.units for part in result.parts] == part_units
    assert result.count == result.sms_count == len(part_units)
    assert result.units == sum(part_units)
    assert result.units_left == result.units_per_part - part_units[-1]
    if not options.get("transliterate"):
        assert result.text == text
    for part in result.parts:
        assert decode(part.payload, result.encoding) == part.text
    assert count_units(text, **options) == (
        result.encoding,
        result.sms_count,
        result.units,
    )


def test_single_part_has_no_header_or_concat() -> None:
    (part,) = plan("hello").parts
    assert (part.text, part.payload, part.udh, part.concat, part.units) == (
        "hello",
        b"hello",
        b"",
        None,
        5,
    )


def test_gsm_payload_is_unpacked_septets_with_escape_pairs() -> None:
    (part,) = plan("@€$_").parts
    assert part.payload == bytes([0x00, 0x1B, 0x65, 0x02, 0x11])
    assert part.units == 5


def test_udh8_headers_and_concat_info() -> None:
    result = plan("a" * 400, reference=10)
    assert [part.udh.hex() for part in result.parts] == [
        "0500030a0301",
        "0500030a0302",
        "0500030a0303",
    ]
    assert [part.concat for part in result.parts] == [ConcatInfo(10, 3, n) for n in (1, 2, 3)]
    assert result.units_per_part == 153
    assert result.units_left == 3 * 153 - 400


def test_udh16_headers() -> None:
    result = plan("a" * 200, concat=Concat.UDH16, reference=0x1234)
    assert [part.udh.hex() for part in result.parts] == ["060804123402" + "01", "06080412340202"]
    assert result.units_per_part == 152


def test_sar_parts_carry_concat_values_but_no_header() -> None:
    result = plan("ж" * 100, concat=Concat.SAR, reference=0xABCD)
    assert [part.udh for part in result.parts] == [b"", b""]
    assert [part.concat for part in result.parts] == [
        ConcatInfo(0xABCD, 2, 1),
        ConcatInfo(0xABCD, 2, 2),
    ]


@pytest.mark.parametrize(
    ("concat", "expected"),
    [(Concat.UDH8, 300 % 256), (Concat.UDH16, 300), (Concat.SAR, 300)],
)
def test_reference_is_reduced_to_the_field_width(concat: Concat, expected: int) -> None:
    result = plan("a" * 200, concat=concat, reference=300 + 65536)
    assert {part.concat.reference for part in result.parts if part.concat} == {expected}


def test_payload_keeps_one_segment_and_counts_the_sms_the_smsc_will_make() -> None:
    text = "a" * 400
    result = plan(text, concat=Concat.PAYLOAD)
    assert result.count == 1
    (part,) = result.parts
    assert (part.text, part.udh, part.concat, part.units) == (text, b"", None, 400)
    assert (result.sms_count, result.units_per_part, result.units_left) == (3, 153, 59)
    assert count_units(text, concat=Concat.PAYLOAD).parts == 3


def test_payload_short_text_is_a_plain_single_part() -> None:
    result = plan("hi", concat=Concat.PAYLOAD)
    assert (result.count, result.sms_count, result.units_per_part) == (1, 1, 160)


def test_payload_limit_is_max_parts_udh8_parts() -> None:
    assert plan("a" * 153 * 4, concat=Concat.PAYLOAD, max_parts=4).sms_count == 4
    with pytest.raises(TextTooLong):
        plan("a" * (153 * 4 + 1), concat=Concat.PAYLOAD, max_parts=4)


def test_too_many_parts_raises_and_never_truncates() -> None:
    assert plan("a" * 1530).count == 10
    with pytest.raises(TextTooLong) as raised:
        plan("a" * 1531)
    assert (raised.value.parts_needed, raised.value.max_parts, raised.value.code) == (
        11,
        10,
        "text_too_long",
    )
    with pytest.raises(TextTooLong):
        plan("ж" * 71, max_parts=1)


def test_count_units_has_no_part_limit() -> None:
    assert count_units("a" * 1531) == (Encoding.GSM7, 11, 1531)


@pytest.mark.parametrize("text", ["", "\u200b\u00ad"])
def test_empty_text_is_rejected(text: str) -> None:
    with pytest.raises(EmptyText) as raised:
        plan(text, transliterate=True)
    assert raised.value.code == "empty_text"
    with pytest.raises(EmptyText):
        count_units(text, transliterate=True)


def test_empty_text_is_rejected_without_transliteration() -> None:
    with pytest.raises(EmptyText):
        plan("")
    with pytest.raises(EmptyText):
        plan("\u200b", encoding=Encoding.GSM7, transliterate=True)


def test_gsm7_requested_for_non_gsm_text() -> None:
    with pytest.raises(UnencodableText) as raised:
        plan("abc ж", encoding=Encoding.GSM7)
    assert (raised.value.char, raised.value.position, raised.value.code) == (
        "ж",
        4,
        "unencodable_text",
    )


def test_latin1_rejects_characters_outside_latin1() -> None:
    with pytest.raises(UnencodableText) as raised:
        plan("café €", encoding=Encoding.LATIN1)
    assert raised.value.char == "€"
    assert plan("café", encoding=Encoding.LATIN1).parts[0].payload == "café".encode("latin-1")


def test_lone_surrogate_is_unencodable() -> None:
    with pytest.raises(UnencodableText):
        plan("a\ud800b")


def test_auto_keeps_the_original_text_when_transliteration_is_not_enough() -> None:
    result = plan("‘hi’ ж", transliterate=True)
    assert result.encoding == Encoding.UCS2
    assert result.text == "‘hi’ ж"


def test_transliteration_is_off_by_default() -> None:
    assert plan("ça").encoding == Encoding.UCS2
    assert plan("ça", transliterate=True).text == "Ça"
    assert plan("ça", encoding=Encoding.GSM7, transliterate=True).text == "Ça"


def test_binary_plans() -> None:
    assert [p.units for p in plan_binary(bytes(140)).parts] == [140]
    parts = plan_binary(bytes(range(141)), reference=7).parts
    assert [(p.units, p.text, p.udh.hex()) for p in parts] == [
        (134, "", "05000307" + "0201"),
        (7, "", "050003070202"),
    ]
    assert b"".join(p.payload for p in parts) == bytes(range(141))
    assert [p.units for p in plan_binary(bytes(141), concat=Concat.UDH16).parts] == [133, 8]
    assert plan_binary(bytes(141)).encoding == Encoding.BINARY
    with pytest.raises(EmptyText):
        plan_binary(b"")
    with pytest.raises(TextTooLong):
        plan_binary(bytes(141), max_parts=1)


@pytest.mark.parametrize(
    "options",
    [
        {"max_parts": 0},
        {"max_parts": 256},
        {"reference": -1},
        {"encoding": Encoding.BINARY},
        {"concat": "bogus"},
    ],
)
def test_invalid_arguments(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        plan("a" * 200, **options)


def test_plain_strings_work_as_enum_values() -> None:
    result = plan("ж" * 71, encoding="ucs2", concat="udh16")  # type: ignore[arg-type]
    assert result.encoding is Encoding.UCS2
    assert result.units_per_part == 66


def test_plans_are_ordinary_frozen_dataclasses() -> None:
    result = plan("a" * 161, reference=3)
    first = Segment("a" * 153, b"a" * 153, bytes.fromhex("050003030201"), ConcatInfo(3, 2, 1), 153)
    assert result.parts[0] == first
    assert hash(result.parts[0].concat) == hash(ConcatInfo(3, 2, 1))
    assert result == MessagePlan(Encoding.GSM7, result.parts, 161, 153, 145, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.units = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.parts[0].text = ""  # type: ignore[misc]
