"""Recipient numbers: parse what a customer typed into E.164, or refuse it."""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import PhoneMetadata

from smsgate.core.errors import InvalidRecipient

_CANONICAL = re.compile(r"\+[1-9][0-9]{6,14}")
_NO_SUCH_CODE = (None, frozenset[int]())  # _country_rules of an unassigned country code


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
    """Whether a number already written in E.164 is possible, without parsing it again
    (the bulk of a large request is written this way). None when parsing could rewrite it
    (a national prefix after the country code, an unknown country code): the full path
    decides those."""
    digits = number[1:]
    for size in (1, 2, 3):
        rules = _country_rules(int(digits[:size]))
        if rules is _NO_SUCH_CODE:
            continue
        national = digits[size:]
        if rules is None or national.startswith("0"):
            return None
        national_prefix, lengths = rules
        if national_prefix is not None and national_prefix.match(national):
            return None
        return len(national) in lengths
    return None


@functools.cache
def _country_rules(code: int) -> tuple[re.Pattern[str] | None, frozenset[int]] | None:
    """A country code's national prefix (as `phonenumbers.parse` strips it) and the
    lengths `phonenumbers.is_possible_number` allows a national number to have (local
    only included); _NO_SUCH_CODE for an unassigned code, None without metadata."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code)
    if regions is None:
        return _NO_SUCH_CODE
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, regions[0])
    if metadata is None:
        return None
    prefix = metadata.national_prefix_for_parsing
    general = metadata.general_desc
    lengths = frozenset[int]()
    if general is not None:
        lengths = frozenset(general.possible_length) | frozenset(general.possible_length_local_only)
    return (None if prefix is None else re.compile(prefix)), lengths


@functools.lru_cache(maxsize=1024)
def country_of(number: str) -> str:
    """The country (ISO 3166 code) of an E.164 number's calling code, from its first
    digits; a code shared by several countries (+1, +7) gives its main one; "ZZ" when
    no country has that code or the number is not in E.164 (a short code)."""
    if not number.startswith("+"):
        return "ZZ"
    digits = number[1:]
    for size in (1, 2, 3):
        if digits[:size].isdigit() and len(digits) >= size:
            code = int(digits[:size])
            if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                return phonenumbers.region_code_for_country_code(code)
    return "ZZ"
