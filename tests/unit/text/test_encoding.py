"""encode/decode per Encoding, UCS-2 details and SMPP data_coding values."""

from __future__ import annotations

import pytest

from smsgate.text import (
    Encoding,
    InvalidPayload,
    UnencodableText,
    UnsupportedDataCoding,
    data_coding_for,
    decode,
    encode,
    encoding_for_data_coding,
    is_flash,
)


@pytest.mark.parametrize(
    ("text", "encoding", "data"),
    [
        ("hé€", Encoding.GSM7, b"h\x05\x1b\x65"),
        ("hé€", Encoding.UCS2, bytes.fromhex("006800e920ac")),
        ("😀", Encoding.UCS2, bytes.fromhex("d83dde00")),
        ("hé", Encoding.LATIN1, b"h\xe9"),
    ],
)
def test_encode_and_decode(text: str, encoding: Encoding, data: bytes) -> None:
    assert encode(text, encoding) == data
    assert decode(data, encoding) == text


def test_ucs2_is_big_endian_without_byte_order_mark() -> None:
    assert encode("a", Encoding.UCS2) == b"\x00a"
    assert decode(b"\xfe\xff\x00a", Encoding.UCS2) == "\ufeffa"


@pytest.mark.parametrize(
    ("text", "encoding", "char"),
    [("ж", Encoding.GSM7, "ж"), ("€", Encoding.LATIN1, "€"), ("\udc00", Encoding.UCS2, "\udc00")],
)
def test_encode_rejects_unencodable(text: str, encoding: Encoding, char: str) -> None:
    with pytest.raises(UnencodableText) as raised:
        encode(text, encoding)
    assert raised.value.char == char


@pytest.mark.parametrize("data", [b"\x00", b"\xd8\x3d", b"\xde\x00\x00a"])
def test_decode_rejects_broken_ucs2(data: bytes) -> None:
    with pytest.raises(InvalidPayload):
        decode(data, Encoding.UCS2)


@pytest.mark.parametrize("encoding", [Encoding.AUTO, Encoding.BINARY])
def test_encode_and_decode_need_a_text_encoding(encoding: Encoding) -> None:
    with pytest.raises(ValueError):
        encode("a", encoding)
    with pytest.raises(ValueError):
        decode(b"a", encoding)


@pytest.mark.parametrize(
    ("encoding", "flash", "data_coding"),
    [
        (Encoding.GSM7, False, 0x00),
        (Encoding.GSM7, True, 0xF0),
        (Encoding.UCS2, False, 0x08),
        (Encoding.UCS2, True, 0x18),
        (Encoding.LATIN1, False, 0x03),
        (Encoding.BINARY, False, 0x04),
        (Encoding.BINARY, True, 0xF4),
    ],
)
def test_data_coding_for(encoding: Encoding, flash: bool, data_coding: int) -> None:
    assert data_coding_for(encoding, flash=flash) == data_coding
    assert encoding_for_data_coding(data_coding) == encoding
    assert is_flash(data_coding) is flash


def test_latin1_cannot_be_flash_and_auto_has_no_data_coding() -> None:
    with pytest.raises(UnsupportedDataCoding) as raised:
        data_coding_for(Encoding.LATIN1, flash=True)
    assert raised.value.code == "unsupported_data_coding"
    with pytest.raises(ValueError):
        data_coding_for(Encoding.AUTO)


@pytest.mark.parametrize(
    ("data_coding", "encoding", "flash"),
    [
        (0x01, Encoding.LATIN1, False),  # IA5: ASCII, which Latin-1 decodes exactly
        (0x02, Encoding.BINARY, False),
        (0x10, Encoding.GSM7, True),
        (0x11, Encoding.GSM7, False),
        (0x14, Encoding.BINARY, True),
        (0x19, Encoding.UCS2, False),
        (0x48, Encoding.UCS2, False),  # automatic deletion group, no class
        (0x50, Encoding.GSM7, True),
        (0xC0, Encoding.GSM7, False),
        (0xD1, Encoding.GSM7, False),
        (0xE3, Encoding.UCS2, False),
        (0xF1, Encoding.GSM7, False),
        (0xF5, Encoding.BINARY, False),
        (0xF7, Encoding.BINARY, False),
    ],
)
def test_encoding_for_data_coding(data_coding: int, encoding: Encoding, flash: bool) -> None:
    assert encoding_for_data_coding(data_coding) == encoding
    assert is_flash(data_coding) is flash


@pytest.mark.parametrize(
    "data_coding",
    [0x05, 0x06, 0x07, 0x09, 0x0A, 0x0B, 0x0D, 0x0E, 0x0F, 0x1C, 0x20, 0x34, 0x80, 0xBF, 0x100, -1],
)
def test_unsupported_data_codings(data_coding: int) -> None:
    with pytest.raises(UnsupportedDataCoding):
        encoding_for_data_coding(data_coding)


def test_smpp_data_codings_below_0x10_are_never_flash() -> None:
    assert not any(is_flash(value) for value in range(0x10))
