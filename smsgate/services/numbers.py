"""Recipient numbers: parse what a customer typed into E.164, or refuse it."""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import PhoneMetadata

from smsgate.core.errors import InvalidRecipient

_CANONICAL = re.compile(r"\+[1-9][0-9]{6,14}")


@functools.lru_cache(maxsize=65536)
def to_e164(raw: str, default_country: str) -> str:
    """'+39 333 123 4567', '0039333...', or a national '3331234567' -> '+393331234567'."""
    text = _international(raw.strip())
    if _CANONICAL.fullmatch(text):
        known = _canonical(text)
        if known is not None:
            if not known:
                raise InvalidRecipient(f"invalid recipient {raw!r}", field="to")
            return text
    return parse_number(raw, default_country)


def parse_number(raw: str, default_country: str) -> str:
    """`to_e164` by the full parse, whatever the form."""
    text = _international(raw.strip())
    try:
        number = phonenumbers.parse(text, default_country or None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidRecipient(f"invalid recipient {raw!r}", field="to") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidRecipient(f"invalid recipient {raw!r}", field="to")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _international(text: str) -> str:
    """'00' and the bare international digits that SMPP and most provider APIs send
    ('393331234567') written with '+'; anything else as it is."""
    if text.startswith("00"):
        return "+" + text[2:]
    if text.isdigit() and len(text) > 10 and not text.startswith("0"):
        return "+" + text
    return text


def _canonical(number: str) -> bool | None:
    """Whether a number already written in E.164 is possible, without parsing it again:
    the bulk of a large request is written this way, and `phonenumbers.parse` costs
    ~9 us a number. None when parsing could rewrite it (a national prefix after the
    country code, an unknown country code): the full path decides those."""
    digits = number[1:]
    for size in (1, 2, 3):
        code = int(digits[:size])
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code)
        if regions is None:
            continue
        national = digits[size:]
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, regions[0])
        if metadata is None or national.startswith("0"):
            return None
        prefix = metadata.national_prefix_for_parsing
        if prefix is not None and re.match(prefix, national):
            return None
        parsed = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
        return bool(phonenumbers.is_possible_number(parsed))
    return None
