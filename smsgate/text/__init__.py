"""SMS text: GSM 03.38 and UCS-2 encoding, part counting and splitting, UDH and SAR.

A leaf package: it imports only the standard library.
"""

from .encoding import (
    Encoding,
    data_coding_for,
    decode,
    encode,
    encoding_for_data_coding,
    is_flash,
)
from .errors import (
    EmptyText,
    InvalidConcat,
    InvalidPayload,
    InvalidUdh,
    TextError,
    TextTooLong,
    UnencodableText,
    UnpairedSurrogate,
    UnsupportedDataCoding,
)
from .gsm7 import GSM7_CHARS, gsm7_pack, gsm7_unpack, is_gsm7
from .segments import (
    MULTIPART_UNITS,
    SINGLE_PART_UNITS,
    MessagePlan,
    Segment,
    UnitCount,
    count_units,
    plan,
    plan_binary,
)
from .transliteration import TRANSLITERATION_TABLE, transliterate
from .udh import (
    Concat,
    ConcatInfo,
    InformationElement,
    ParsedUdh,
    Reassembler,
    build_udh,
    check_concat,
    join_parts,
    parse_udh,
)

__all__ = [
    "GSM7_CHARS",
    "MULTIPART_UNITS",
    "SINGLE_PART_UNITS",
    "TRANSLITERATION_TABLE",
    "Concat",
    "ConcatInfo",
    "EmptyText",
    "Encoding",
    "InformationElement",
    "InvalidConcat",
    "InvalidPayload",
    "InvalidUdh",
    "MessagePlan",
    "ParsedUdh",
    "Reassembler",
    "Segment",
    "TextError",
    "TextTooLong",
    "UnencodableText",
    "UnitCount",
    "UnpairedSurrogate",
    "UnsupportedDataCoding",
    "build_udh",
    "check_concat",
    "count_units",
    "data_coding_for",
    "decode",
    "encode",
    "encoding_for_data_coding",
    "gsm7_pack",
    "gsm7_unpack",
    "is_flash",
    "is_gsm7",
    "join_parts",
    "parse_udh",
    "plan",
    "plan_binary",
    "transliterate",
]
