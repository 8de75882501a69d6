"""GSM 03.38 default alphabet and its extension table: encode, decode, 7-bit packing.

Septets are carried unpacked, one per octet, as SMPP data_coding 0 sends them; an
extension character is ESC (0x1B) followed by its code and costs two septets.
National language shift tables are not supported.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

from .errors import InvalidPayload, UnencodableText

ESC: Final = 0x1B

# 3GPP TS 23.038 section 6.2.1, in septet order, 16 per row. 0x1B is the escape to the
# extension table, not a character of its own.
BASIC_TABLE: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# 3GPP TS 23.038 section 6.2.1.1: the characters reached through ESC.
EXTENSION_TABLE: Final[dict[int, str]] = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

BASIC_CHARS: Final = frozenset(BASIC_TABLE) - {"\x1b"}
EXTENSION_CHARS: Final = frozenset(EXTENSION_TABLE.values())
GSM7_CHARS: Final = BASIC_CHARS | EXTENSION_CHARS

# codecs.charmap_decode treats U+FFFE as "no character here".
_BASIC_DECODING: Final = BASIC_TABLE.replace("\x1b", "\ufffe")

# Encoding goes through Latin-1 and one bytes.translate (both C loops) rather than a
# charmap codec. 117 of the 128 septets have a Latin-1 character;
# the other 11 (ten Greek capitals and ESC) get stand-ins from the C1 controls, which are
# never GSM characters. Extension characters and Greek capitals are swapped for their
# stand-ins with str.replace before encoding.
_LATIN1_FOR_SEPTET: Final = tuple(
    char if ord(char) < 0x100 and septet != ESC else chr(0x80 + septet)
    for septet, char in enumerate(BASIC_TABLE)
)
# Octets that are no character's stand-in never reach the table; "?" fills them.
_LATIN1_TO_SEPTET: Final = bytes(
    _LATIN1_FOR_SEPTET.index(chr(code)) if chr(code) in _LATIN1_FOR_SEPTET else 0x3F
    for code in range(256)
)
_STAND_INS: Final[dict[str, str]] = {
    char: _LATIN1_FOR_SEPTET[septet]
    for septet, char in enumerate(BASIC_TABLE)
    if char != _LATIN1_FOR_SEPTET[septet] and septet != ESC
}
_STAND_INS.update(
    {
        char: _LATIN1_FOR_SEPTET[ESC] + _LATIN1_FOR_SEPTET[code]
        for code, char in EXTENSION_TABLE.items()
    }
)
# Every character other than the 117 Latin-1 basic ones: those swapped for stand-ins
# (extension characters, Greek capitals) and those GSM cannot carry, stand-ins included.
_NOT_PLAIN: Final = re.compile(
    "[^" + re.escape("".join(sorted(set(_LATIN1_FOR_SEPTET) & BASIC_CHARS))) + "]"
)
_NOT_GSM7: Final = re.compile("[^" + re.escape("".join(sorted(GSM7_CHARS))) + "]")

# The common case, ASCII text of basic characters only, needs no regex at all.
_ASCII_BASIC: Final = bytes(c for c in range(128) if chr(c) in BASIC_CHARS)


def try_encode_gsm7(text: str) -> bytes | None:
    """Unpacked septets for `text`, or None when a character is not in GSM 03.38."""
    if text.isascii():
        raw = text.encode("ascii")
        if not raw.translate(None, _ASCII_BASIC):
            return raw.translate(_LATIN1_TO_SEPTET)
    found = _NOT_PLAIN.search(text)
    if found is not None:
        # Text in another script fails on its first character, before any findall.
        if found.group() not in _STAND_INS:
            return None
        for char in set(_NOT_PLAIN.findall(text, found.start())):
            stand_in = _STAND_INS.get(char)
            if stand_in is None:
                return None
            text = text.replace(char, stand_in)
    return text.encode("latin-1").translate(_LATIN1_TO_SEPTET)


def encode_gsm7(text: str) -> bytes:
    """Unpacked septets for `text`; raises UnencodableText naming the first bad character."""
    septets = try_encode_gsm7(text)
    if septets is None:
        found = _NOT_GSM7.search(text)
        assert found is not None
        raise UnencodableText(found.group(), found.start(), "gsm7")
    return septets


def is_gsm7(text: str) -> bool:
    """Whether every character of `text` is in the default alphabet or its extension."""
    return try_encode_gsm7(text) is not None


def decode_gsm7(septets: bytes) -> str:
    """Text of unpacked septets.

    As TS 23.038 asks of a receiver, ESC followed by a code the extension table does not
    define reads as the basic character with that code, and a lone ESC reads as a space.
    """
    if ESC not in septets:
        try:
            return codecs.charmap_decode(septets, "strict", _BASIC_DECODING)[0]
        except UnicodeDecodeError as exc:
            raise _not_a_septet(septets, exc.start) from None
    chars: list[str] = []
    index = 0
    length = len(septets)
    while index < length:
        septet = septets[index]
        if septet > 0x7F:
            raise _not_a_septet(septets, index)
        if septet != ESC:
            chars.append(BASIC_TABLE[septet])
            index += 1
            continue
        if index + 1 == length:
            chars.append(" ")
            break
        code = septets[index + 1]
        if code > 0x7F:
            raise _not_a_septet(septets, index + 1)
        extension = EXTENSION_TABLE.get(code)
        if extension is not None:
            chars.append(extension)
        elif code == ESC:
            # 0x1B1B is reserved for a further extension table; 23.038 says show a space.
            chars.append(" ")
        else:
            chars.append(BASIC_TABLE[code])
        index += 2
    return "".join(chars)


def _not_a_septet(data: bytes, index: int) -> InvalidPayload:
    return InvalidPayload(f"octet 0x{data[index]:02X} at offset {index} is not a GSM 7-bit septet")


def gsm7_pack(septets: bytes, *, fill_bits: int = 0) -> bytes:
    """Pack septets 8 into 7 octets, least significant bits first (TS 23.038 6.1.2.1).

    `fill_bits` (0-6) zero bits come first, to align the text after a user data header.
    """
    if not 0 <= fill_bits <= 6:
        raise ValueError(f"fill_bits must be between 0 and 6, not {fill_bits}")
    packed = bytearray()
    accumulator = 0
    bits = fill_bits
    for index, septet in enumerate(septets):
        if septet > 0x7F:
            raise _not_a_septet(septets, index)
        accumulator |= septet << bits
        bits += 7
        if bits >= 8:
            packed.append(accumulator & 0xFF)
            accumulator >>= 8
            bits -= 8
    if bits:
        packed.append(accumulator)
    return bytes(packed)


def gsm7_unpack(packed: bytes, count: int | None = None, *, fill_bits: int = 0) -> bytes:
    """Septets from packed octets; the inverse of gsm7_pack.

    Without `count` every whole septet is returned. When 7 bits are left over at the end
    (a multiple of 8 septets minus one), packed data cannot say whether the last septet is
    text or padding, so pass the septet count from the message (TP-UDL) to be exact.
    """
    if not 0 <= fill_bits <= 6:
        raise ValueError(f"fill_bits must be between 0 and 6, not {fill_bits}")
    available = max(len(packed) * 8 - fill_bits, 0) // 7
    if count is None:
        count = available
    elif not 0 <= count <= available:
        raise InvalidPayload(f"{len(packed)} packed octets cannot hold {count} septets")
    septets = bytearray()
    accumulator = packed[0] >> fill_bits if packed else 0
    bits = 8 - fill_bits
    position = 1
    for _ in range(count):
        if bits < 7:
            accumulator |= packed[position] << bits
            position += 1
            bits += 8
        septets.append(accumulator & 0x7F)
        accumulator >>= 7
        bits -= 7
    return bytes(septets)
