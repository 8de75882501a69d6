"""The Encoding enum, text <-> bytes for each encoding, and SMPP data_coding values.

data_coding follows SMPP 3.4 section 5.2.19 for 0x00-0x0F and the data coding scheme
groups of 3GPP TS 23.038 section 4 above that.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from .errors import UnsupportedDataCoding, encode_strictly
from .gsm7 import decode_gsm7, encode_gsm7
from .ucs2 import decode_ucs2, encode_ucs2


class Encoding(StrEnum):
    AUTO = "auto"
    GSM7 = "gsm7"
    UCS2 = "ucs2"
    LATIN1 = "latin1"
    BINARY = "binary"


def _encode_latin1(text: str) -> bytes:
    return encode_strictly(text, "latin-1", "latin1")


def _decode_latin1(data: bytes) -> str:
    return data.decode("latin-1")


_CODECS: dict[Encoding, tuple[Callable[[str], bytes], Callable[[bytes], str]]] = {
    Encoding.GSM7: (encode_gsm7, decode_gsm7),
    Encoding.UCS2: (encode_ucs2, decode_ucs2),
    Encoding.LATIN1: (_encode_latin1, _decode_latin1),
}


def encode(text: str, encoding: Encoding) -> bytes:
    """Bytes of `text` as they go into short_message (GSM 7-bit unpacked, one septet per octet)."""
    codec = _CODECS.get(encoding)
    if codec is None:
        raise ValueError(f"encode() needs gsm7, ucs2 or latin1, not {encoding!r}")
    return codec[0](text)


def decode(data: bytes, encoding: Encoding) -> str:
    """Text of short_message bytes; raises InvalidPayload when they are not valid."""
    codec = _CODECS.get(encoding)
    if codec is None:
        raise ValueError(f"decode() needs gsm7, ucs2 or latin1, not {encoding!r}")
    return codec[1](data)


_DATA_CODING: dict[Encoding, tuple[int, int | None]] = {
    # encoding: (data_coding, data_coding for a flash message, i.e. message class 0)
    Encoding.GSM7: (0x00, 0xF0),
    Encoding.UCS2: (0x08, 0x18),
    Encoding.LATIN1: (0x03, None),
    Encoding.BINARY: (0x04, 0xF4),
}


def data_coding_for(encoding: Encoding, *, flash: bool = False) -> int:
    """SMPP data_coding for `encoding`; flash asks for message class 0 (shown, not stored)."""
    try:
        normal, flash_value = _DATA_CODING[encoding]
    except KeyError:
        raise ValueError(f"no data_coding for {encoding!r}") from None
    if not flash:
        return normal
    if flash_value is None:
        raise UnsupportedDataCoding("a Latin-1 message (data_coding 3) cannot be sent as flash")
    return flash_value


# SMPP 3.4 redefines 0x00-0x0F. IA5 (1) is 7-bit ASCII, which Latin-1 decodes exactly;
# reading it as GSM 03.38 would turn "@" into "¡" and "$" into "¤".
_SMPP_DATA_CODING: dict[int, Encoding] = {
    0x00: Encoding.GSM7,
    0x01: Encoding.LATIN1,
    0x02: Encoding.BINARY,
    0x03: Encoding.LATIN1,
    0x04: Encoding.BINARY,
    0x08: Encoding.UCS2,
}

# TS 23.038 alphabet bits (3-2) of the general and automatic-deletion groups.
_ALPHABET_BITS = (Encoding.GSM7, Encoding.BINARY, Encoding.UCS2, None)


def encoding_for_data_coding(data_coding: int) -> Encoding:
    """The Encoding of a received data_coding; raises UnsupportedDataCoding otherwise.

    Refused: the national character sets of SMPP (JIS, Cyrillic, Hebrew, pictogram,
    ISO-2022-JP, Kanji, KS C 5601), compressed text and reserved values.
    """
    if 0x00 <= data_coding <= 0x0F:
        encoding = _SMPP_DATA_CODING.get(data_coding)
    elif 0x10 <= data_coding <= 0x7F:
        compressed = data_coding & 0x20
        encoding = None if compressed else _ALPHABET_BITS[(data_coding >> 2) & 0x03]
    elif 0xC0 <= data_coding <= 0xDF:
        encoding = Encoding.GSM7  # message waiting indication, discard or store
    elif 0xE0 <= data_coding <= 0xEF:
        encoding = Encoding.UCS2  # message waiting indication, store, UCS-2
    elif 0xF0 <= data_coding <= 0xFF:
        encoding = Encoding.BINARY if data_coding & 0x04 else Encoding.GSM7
    else:
        encoding = None
    if encoding is None:
        raise UnsupportedDataCoding(f"data_coding 0x{data_coding:02X} is not supported")
    return encoding


def is_flash(data_coding: int) -> bool:
    """Whether `data_coding` marks a class 0 (flash) message."""
    if 0x10 <= data_coding <= 0x7F:
        return bool(data_coding & 0x10) and data_coding & 0x03 == 0
    return 0xF0 <= data_coding <= 0xFF and data_coding & 0x03 == 0
