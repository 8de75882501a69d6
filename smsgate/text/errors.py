"""Errors raised by the text layer; each class has a stable string `code`."""

from __future__ import annotations

from typing import ClassVar


class TextError(ValueError):
    """Text cannot be encoded, decoded or split as asked.

    TextError                      text_error
     ├─ EmptyText                  empty_text
     ├─ TextTooLong                text_too_long
     ├─ UnencodableText            unencodable_text
     ├─ InvalidPayload             invalid_payload
     │   └─ UnpairedSurrogate      unpaired_surrogate
     ├─ UnsupportedDataCoding      unsupported_data_coding
     └─ InvalidConcat              invalid_concat
         └─ InvalidUdh             invalid_udh
    """

    code: ClassVar[str] = "text_error"


class EmptyText(TextError):
    code: ClassVar[str] = "empty_text"

    def __init__(self) -> None:
        super().__init__("the message text is empty")


class TextTooLong(TextError):
    code: ClassVar[str] = "text_too_long"

    def __init__(self, parts_needed: int, max_parts: int) -> None:
        self.parts_needed = parts_needed
        self.max_parts = max_parts
        super().__init__(f"the message needs {parts_needed} parts; the limit is {max_parts}")


class UnencodableText(TextError):
    code: ClassVar[str] = "unencodable_text"

    def __init__(self, char: str, position: int, encoding: str) -> None:
        self.char = char
        self.position = position
        self.encoding = encoding
        super().__init__(
            f"character {char!r} (U+{ord(char):04X}) at position {position} "
            f"cannot be encoded in {encoding}"
        )


def encode_strictly(text: str, codec: str, encoding: str) -> bytes:
    """`text` in Python's `codec`; a character it cannot hold raises UnencodableText."""
    try:
        return text.encode(codec)
    except UnicodeEncodeError as exc:
        raise UnencodableText(text[exc.start], exc.start, encoding) from None


class InvalidPayload(TextError):
    """Bytes that are not valid in the encoding they claim (e.g. odd-length UCS-2)."""

    code: ClassVar[str] = "invalid_payload"


class UnpairedSurrogate(InvalidPayload):
    """UCS-2 (UTF-16) code units with half of a surrogate pair: no character at all."""

    code: ClassVar[str] = "unpaired_surrogate"


class UnsupportedDataCoding(TextError):
    """An SMPP data_coding value, or a combination with flash, that smsgate does not handle."""

    code: ClassVar[str] = "unsupported_data_coding"


class InvalidConcat(TextError):
    """Concatenation values that cannot describe a part (sequence 0, sequence > total...)."""

    code: ClassVar[str] = "invalid_concat"


class InvalidUdh(InvalidConcat):
    """A user data header whose lengths do not add up."""

    code: ClassVar[str] = "invalid_udh"
