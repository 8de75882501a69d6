"""Sender (originator) rules: up to 11 alphanumeric characters or up to 16 digits."""

from __future__ import annotations

from smsgate.core.errors import InvalidSender

ALNUM_MAX = 11
NUMERIC_MAX = 16
_ALNUM_EXTRA = frozenset(" -_.&+!'")


def check_sender(sender: str) -> str:
    """Return the sender unchanged when valid; a leading '+' is allowed on numbers."""
    digits = sender[1:] if sender.startswith("+") else sender
    if digits.isdigit() and digits.isascii():
        if len(digits) > NUMERIC_MAX:
            raise InvalidSender(f"a numeric sender has at most {NUMERIC_MAX} digits", field="from")
        return sender
    if not sender or sender.strip() != sender:
        raise InvalidSender("sender is empty or has surrounding spaces", field="from")
    if len(sender) > ALNUM_MAX:
        raise InvalidSender(
            f"an alphanumeric sender has at most {ALNUM_MAX} characters", field="from"
        )
    if not all((c.isascii() and c.isalnum()) or c in _ALNUM_EXTRA for c in sender):
        raise InvalidSender("sender has characters outside A-Z, a-z, 0-9", field="from")
    return sender
