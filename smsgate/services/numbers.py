"""Recipient numbers: parse what a customer typed into E.164, or refuse it."""

from __future__ import annotations

import functools

import phonenumbers

from smsgate.core.errors import InvalidRecipient


@functools.lru_cache(maxsize=65536)
def to_e164(raw: str, default_country: str) -> str:
    """'+39 333 123 4567', '0039333...', or a national '3331234567' -> '+393331234567'."""
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.isdigit() and len(text) > 10 and not text.startswith("0"):
        # International digits without '+', as SMPP and most provider APIs send them.
        text = "+" + text
    try:
        number = phonenumbers.parse(text, default_country or None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidRecipient(f"invalid recipient {raw!r}", field="to") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidRecipient(f"invalid recipient {raw!r}", field="to")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
