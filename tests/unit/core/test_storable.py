"""core.storable: the strings every backend holds alike."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.core.errors import InvalidRequest
from smsgate.core.storable import check_storable, storable


@pytest.mark.parametrize("value", ["", "hello", "é€😀 ünïcödé"])
def test_text_of_characters_is_storable(value: str) -> None:
    assert storable(value)
    check_storable(value, "text")


@pytest.mark.parametrize(
    ("value", "named"),
    [("a\x00b", "U+0000"), ("\x00", "U+0000"), ("a\ud800", "surrogate"), ("\udfffz", "surrogate")],
)
def test_nul_and_lone_surrogates_are_refused_naming_the_field(value: str, named: str) -> None:
    assert not storable(value)
    with pytest.raises(InvalidRequest) as caught:
        check_storable(value, "reference")
    assert caught.value.field == "reference"
    assert named in caught.value.message


def test_none_is_nothing_to_check() -> None:
    check_storable(None, "tag")


@given(st.text())
def test_storable_exactly_when_no_nul_and_no_surrogate(value: str) -> None:
    expected = "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    assert storable(value) == expected
