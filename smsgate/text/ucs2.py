"""UCS-2 as SMPP carries it (UTF-16BE, no byte order mark): encode and decode.

A character outside the Basic Multilingual Plane (most emoji) is a surrogate pair of two
16-bit code units; the splitter in segments.py never separates the two halves.
"""

from __future__ import annotations

from .errors import InvalidPayload, UnpairedSurrogate, encode_strictly


def encode_ucs2(text: str) -> bytes:
    """UTF-16BE code units of `text`; a lone surrogate in `text` raises UnencodableText."""
    return encode_strictly(text, "utf-16-be", "ucs2")


def decode_ucs2(data: bytes) -> str:
    """Text of UTF-16BE code units; odd lengths and unpaired surrogates raise InvalidPayload."""
    if len(data) % 2:
        raise InvalidPayload(f"UCS-2 data has an odd length ({len(data)} octets)")
    try:
        return data.decode("utf-16-be")
    except UnicodeDecodeError as exc:
        raise UnpairedSurrogate(f"unpaired UTF-16 surrogate at offset {exc.start}") from None
