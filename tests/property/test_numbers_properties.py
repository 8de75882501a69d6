"""The E.164 shortcut of `to_e164` agrees with the full parse on every number."""

from __future__ import annotations

import phonenumbers
from hypothesis import example, given, settings
from hypothesis import strategies as st

from smsgate.core.errors import InvalidRecipient
from smsgate.services.numbers import parse_number, to_e164

COUNTRY_CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def outcome(convert: object, raw: str) -> str:
    assert callable(convert)
    try:
        return str(convert(raw, "IT"))
    except InvalidRecipient:
        return "invalid"


@st.composite
def e164_like(draw: st.DrawFn) -> str:
    """'+', '00' or nothing, a real or unknown country code, then digits: any length
    E.164 allows (the bare digits are what SMPP and most provider APIs send)."""
    lead = draw(st.sampled_from(["+", "00", ""]))
    code = draw(st.one_of(st.sampled_from(COUNTRY_CODES), st.integers(1, 999)))
    rest = draw(st.text("0123456789", min_size=0, max_size=14))
    return lead + f"{code}{rest}"[:15]


@settings(max_examples=3000, deadline=None)
@given(e164_like())
@example("+393331234567")
@example("+39063331234")  # Italian fixed line: its leading zero is kept
@example("+4407911123456")  # a national prefix after the country code
@example("+12025550123")
@example("+8001234567")
@example("+39123")
@example("393331234567")
@example("00393331234567")
@example("3331234567")  # national: the full parse with the default country
def test_the_shortcut_and_the_full_parse_agree(raw: str) -> None:
    to_e164.cache_clear()
    assert outcome(to_e164, raw) == outcome(parse_number, raw)


def test_the_shortcut_decides_common_numbers_and_leaves_the_rest() -> None:
    from smsgate.services.numbers import _canonical

    assert _canonical("+393331234567") is True
    assert _canonical("+12025550123") is True
    assert _canonical("+39123") is False
    assert _canonical("+39063331234") is None  # leading zero: the full parse
    assert _canonical("+4407911123456") is None  # national prefix: the full parse
