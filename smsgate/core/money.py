"""Money as integer micro-units of a currency: parsing and formatting, never floats.

1.00 EUR is 1_000_000 micro-units. Amounts travel as `int`; JSON shows decimal strings.
"""

from __future__ import annotations

import re

from smsgate.core.errors import InvalidRequest

MICRO = 1_000_000
DECIMALS = 6

_AMOUNT = re.compile(r"^\s*([+-]?)(\d{1,12})(?:[.,](\d{1,6}))?\s*$")


def parse_amount(text: str | int, *, field: str = "amount") -> int:
    """Parse "5", "5.00", "-0.05" or "0,5" into micro-units; reject anything else.

    Integers are whole currency units. Floats are refused on purpose: they cannot
    carry money exactly.
    """
    if isinstance(text, bool):
        raise InvalidRequest("amount must be a decimal string", field=field)
    if isinstance(text, int):
        return text * MICRO
    match = _AMOUNT.match(text)
    if match is None:
        raise InvalidRequest(f"not a decimal amount: {text!r}", field=field)
    sign, whole, frac = match.groups()
    micros = int(whole) * MICRO + int((frac or "").ljust(DECIMALS, "0"))
    return -micros if sign == "-" else micros


def format_amount(micros: int, *, min_decimals: int = 2) -> str:
    """Render micro-units as a decimal string: 50_000 -> "0.05", 1_234_567 -> "1.234567"."""
    sign = "-" if micros < 0 else ""
    whole, frac = divmod(abs(micros), MICRO)
    digits = f"{frac:06d}".rstrip("0").ljust(min_decimals, "0")
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"
