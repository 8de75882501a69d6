import subprocess
import sys

import pytest

from smsgate.services.lookup import LookupResult, NumberLookup


@pytest.fixture
def italy() -> NumberLookup:
    return NumberLookup("IT")


@pytest.mark.parametrize(
    "raw",
    ["+393331234567", "00393331234567", "393331234567", "3331234567", " +39 333 123 4567 "],
)
def test_every_usual_spelling_of_an_italian_mobile_gives_one_e164(
    italy: NumberLookup, raw: str
) -> None:
    result = italy.lookup(raw)
    assert result.e164 == "+393331234567"
    assert result.raw == raw
    assert (result.valid, result.possible) == (True, True)
    assert (result.country_code, result.region) == (39, "IT")
    assert result.number_type == "mobile"
    assert result.is_mobile


@pytest.mark.parametrize(
    ("e164", "operator"),
    [
        ("+393331234567", "TIM"),
        ("+393471234567", "Vodafone"),
        ("+393201234567", "WIND"),
        ("+33612345678", "SFR"),
        ("+447400123456", "Three"),
    ],
)
def test_carrier_is_the_operator_the_range_was_allocated_to(
    italy: NumberLookup, e164: str, operator: str
) -> None:
    assert italy.lookup(e164).carrier_name == operator


def test_fixed_line_keeps_its_leading_zero_and_has_no_carrier(italy: NumberLookup) -> None:
    result = italy.lookup("06 1234 5678")
    assert result.e164 == "+390612345678"
    assert result.national_number == "0612345678"
    assert result.national_format == "06 1234 5678"
    assert result.international_format == "+39 06 1234 5678"
    assert result.number_type == "fixed_line"
    assert result.carrier_name == ""
    assert not result.is_mobile


def test_number_type_names_cover_plans_that_cannot_tell_mobile_from_fixed() -> None:
    result = NumberLookup().lookup("+12025550123")
    assert (result.region, result.number_type, result.is_mobile) == (
        "US",
        "fixed_line_or_mobile",
        True,
    )


def test_non_geographic_numbers_have_a_country_code_but_no_region() -> None:
    result = NumberLookup().lookup("+800 1234 5678")
    assert (result.country_code, result.region, result.number_type) == (800, None, "toll_free")


def test_a_possible_but_unallocated_number_is_reported_not_valid() -> None:
    result = NumberLookup().lookup("+39 1234 5678")
    assert result.e164 == "+3912345678"
    assert (result.possible, result.valid) == (True, False)
    assert result.number_type == "unknown"


@pytest.mark.parametrize("raw", ["abc", "", "+39", "12", "+999 1234567"])
def test_impossible_input_is_a_result_not_an_exception(raw: str) -> None:
    assert NumberLookup("IT").lookup(raw) == LookupResult(
        raw=raw,
        e164=None,
        valid=False,
        possible=False,
        country_code=None,
        region=None,
        number_type="unknown",
        carrier_name="",
        national_number=None,
        international_format=None,
        national_format=None,
    )


def test_the_region_given_per_call_overrides_the_default() -> None:
    lookup = NumberLookup("IT")
    assert lookup.lookup("0612345678", default_region="fr").e164 == "+33612345678"
    assert lookup.lookup("0612345678").e164 == "+390612345678"


def test_without_a_region_national_numbers_are_impossible() -> None:
    assert NumberLookup().lookup("0612345678").e164 is None


def test_lookup_never_loads_the_geocoder() -> None:
    probe = (
        "import sys\n"
        "from smsgate.services.lookup import NumberLookup\n"
        "NumberLookup('IT').lookup('+393331234567')\n"
        "print(sorted(m for m in sys.modules if m.startswith('phonenumbers.geo')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
