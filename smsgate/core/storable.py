"""Which strings every store holds alike: none with U+0000 or an unpaired UTF-16 surrogate.

PostgreSQL cannot hold U+0000 in a text column and no driver encodes a lone surrogate,
while SQLite keeps the first; the edges refuse both, so each backend stores the same.
"""

from __future__ import annotations

from smsgate.core.errors import InvalidRequest


def storable(value: str) -> bool:
    """True when `value` has neither U+0000 nor a surrogate code point (a lone half)."""
    if "\x00" in value:
        return False
    # Surrogate code points are the only ones strict UTF-8 refuses to encode.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_storable(value: str | None, field: str) -> None:
    """Raise InvalidRequest naming `field` when `value` is set and not storable."""
    if value is None or storable(value):
        return
    what = "U+0000" if "\x00" in value else "an unpaired UTF-16 surrogate"
    raise InvalidRequest(f"{field} contains {what}, which cannot be stored", field=field)
