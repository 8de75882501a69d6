"""GSM 03.38 tables, unpacked encode/decode and 7-bit packing."""

from __future__ import annotations

import pytest

from smsgate.text import GSM7_CHARS, InvalidPayload, UnencodableText, gsm7_pack, gsm7_unpack
from smsgate.text.gsm7 import (
    BASIC_TABLE,
    EXTENSION_TABLE,
    decode_gsm7,
    encode_gsm7,
    is_gsm7,
    try_encode_gsm7,
)


def test_tables_have_the_sizes_of_ts_23_038() -> None:
    assert len(BASIC_TABLE) == 128
    assert len(set(BASIC_TABLE)) == 128
    assert set(EXTENSION_TABLE.values()) == set("\f^{}\\[~]|€")
    assert len(GSM7_CHARS) == 127 + 10
    assert "\x1b" not in GSM7_CHARS
    assert "`" not in GSM7_CHARS


def test_every_basic_character_encodes_to_its_position() -> None:
    text = BASIC_TABLE.replace("\x1b", "")
    expected = bytes(septet for septet in range(128) if septet != 0x1B)
    assert encode_gsm7(text) == expected
    assert decode_gsm7(expected) == text


def test_extension_characters_take_an_escape() -> None:
    assert encode_gsm7("^{}\\[~]|€\f") == bytes.fromhex("1b141b281b291b2f1b3c1b3d1b3e1b401b651b0a")
    assert decode_gsm7(bytes.fromhex("1b141b281b291b2f1b3c1b3d1b3e1b401b651b0a")) == "^{}\\[~]|€\f"


@pytest.mark.parametrize(
    ("text", "septets"),
    [
        ("hello", b"hello"),
        ("@$_", b"\x00\x02\x11"),
        ("a\nb\rc", b"a\nb\rc"),
        ("Ça coûte 5€", None),
        ("price: 5£ {x}", b"price: 5\x01 \x1b\x28x\x1b\x29"),
        ("tab\there", None),
        ("back`tick", None),
        ("\x1b", None),
        ("ΔΞ é€|", b"\x10\x1a \x05\x1b\x65\x1b\x40"),
        # C1 controls stand in for Greek capitals and ESC inside the encoder.
        ("\x90", None),
        ("Δ\x9b", None),
        ("é\x80", None),
    ],
)
def test_try_encode(text: str, septets: bytes | None) -> None:
    assert try_encode_gsm7(text) == septets
    assert is_gsm7(text) is (septets is not None)


def test_unencodable_names_the_first_bad_character() -> None:
    with pytest.raises(UnencodableText) as raised:
        encode_gsm7("añb€cçd")
    assert (raised.value.char, raised.value.position, raised.value.encoding) == ("ç", 5, "gsm7")


@pytest.mark.parametrize(
    ("septets", "text"),
    [
        (b"\x1b\x41", "A"),  # undefined extension code reads as the basic character
        (b"a\x1b", "a "),  # a trailing lone escape reads as a space
        (b"\x1b\x1ba", " a"),  # 0x1B1B, reserved for another table, reads as a space
        (b"\x00\x1b\x65\x00", "@€@"),
    ],
)
def test_decode_escape_rules(septets: bytes, text: str) -> None:
    assert decode_gsm7(septets) == text


@pytest.mark.parametrize("septets", [b"\x80", b"ab\xff", b"\x1b\x65\x80", b"\x1b\x90"])
def test_decode_rejects_octets_above_0x7f(septets: bytes) -> None:
    with pytest.raises(InvalidPayload) as raised:
        decode_gsm7(septets)
    assert raised.value.code == "invalid_payload"


@pytest.mark.parametrize(
    ("text", "packed", "fill_bits"),
    [
        ("hellohello", "e8329bfd4697d9ec37", 0),
        ("How are you?", "c8f71d14969741f977fd07", 0),
        # The same septets shifted left by one fill bit, as after a 6-octet UDH.
        ("hellohello", "d06536fb8d2eb3d96f", 1),
        ("", "", 0),
        ("a", "61", 0),
    ],
)
def test_pack_known_vectors(text: str, packed: str, fill_bits: int) -> None:
    septets = encode_gsm7(text)
    assert gsm7_pack(septets, fill_bits=fill_bits).hex() == packed
    assert gsm7_unpack(bytes.fromhex(packed), len(septets), fill_bits=fill_bits) == septets


def test_unpack_without_count_returns_every_whole_septet() -> None:
    assert gsm7_unpack(bytes.fromhex("e8329bfd4697d9ec37")) == b"hellohello"
    # Seven septets leave seven spare bits, which read as a trailing "@" (0x00).
    assert gsm7_unpack(gsm7_pack(b"abcdefg")) == b"abcdefg\x00"
    assert gsm7_unpack(gsm7_pack(b"abcdefg"), 7) == b"abcdefg"


def test_pack_and_unpack_reject_bad_input() -> None:
    with pytest.raises(InvalidPayload):
        gsm7_pack(b"\x80")
    with pytest.raises(InvalidPayload):
        gsm7_unpack(b"\x00", 2)
    with pytest.raises(InvalidPayload):
        gsm7_unpack(b"\x00", -1)
    with pytest.raises(ValueError):
        gsm7_pack(b"a", fill_bits=7)
    with pytest.raises(ValueError):
        gsm7_unpack(b"a", fill_bits=-1)
