"""The country of a recipient's calling code, from the first digits statistics keep."""

from __future__ import annotations

import pytest

from smsgate.services.numbers import country_of


@pytest.mark.parametrize(
    ("prefix", "country"),
    [
        ("+393", "IT"),
        ("+120", "US"),  # +1 is shared: its main country
        ("+79", "RU"),
        ("+447", "GB"),
        ("+353", "IE"),
        ("+880", "BD"),
        ("+999", "ZZ"),  # no country has it
        ("3000", "ZZ"),  # a short code
        ("", "ZZ"),
    ],
)
def test_the_country_of_a_prefix(prefix: str, country: str) -> None:
    assert country_of(prefix) == country
