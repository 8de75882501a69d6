"""Number lookup: what the numbering plan says about a phone number, offline.

Owns `NumberLookup` (format, validity, type, and the operator that was allocated the
number range). It has no HLR/MNP source, so it cannot see number portability: the
operator it reports is the range holder, not necessarily the current one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

import phonenumbers
from phonenumbers import PhoneNumberType, carrier

from smsgate.core.errors import InvalidRecipient
from smsgate.services.numbers import to_e164

NUMBER_TYPES: Final[dict[int, str]] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}
"""phonenumbers' type constants -> the stable names `LookupResult.number_type` uses."""

UNKNOWN_TYPE: Final = "unknown"


@dataclass(frozen=True, slots=True)
class LookupResult:
    """One looked-up number. `e164` is None when the input is not a possible number.

    `carrier_name` is the operator the range was allocated to ("" when the plan does
    not say, e.g. fixed lines); porting is invisible here, so `ported` is not a field.
    """

    raw: str
    e164: str | None
    valid: bool
    possible: bool
    country_code: int | None
    region: str | None
    number_type: str
    carrier_name: str
    national_number: str | None
    international_format: str | None
    national_format: str | None

    @property
    def is_mobile(self) -> bool:
        """Whether the plan says the number can receive SMS as a mobile."""
        return self.number_type in ("mobile", "fixed_line_or_mobile")


class NumberLookup:
    """Looks numbers up offline. Never raises for a bad number: it reports it invalid."""

    def __init__(self, default_region: str = "", *, language: str = "en") -> None:
        self._default_region = default_region.upper()
        self._language = language

    def lookup(self, raw: str, default_region: str | None = None) -> LookupResult:
        """`raw` as a customer typed it; national forms use `default_region` (ISO 3166)."""
        region = self._default_region if default_region is None else default_region.upper()
        return _lookup(raw, region, self._language)


@functools.lru_cache(maxsize=16384)
def _lookup(raw: str, default_region: str, language: str) -> LookupResult:
    try:
        e164 = to_e164(raw, default_region)
    except InvalidRecipient:
        return _impossible(raw)
    number = phonenumbers.parse(e164)
    region = phonenumbers.region_code_for_number(number)
    return LookupResult(
        raw=raw,
        e164=e164,
        valid=phonenumbers.is_valid_number(number),
        possible=True,
        country_code=number.country_code,
        region=region if region and region != "001" else None,
        number_type=NUMBER_TYPES.get(phonenumbers.number_type(number), UNKNOWN_TYPE),
        carrier_name=carrier.name_for_number(number, language),
        national_number=phonenumbers.national_significant_number(number),
        international_format=phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        ),
        national_format=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
    )


def _impossible(raw: str) -> LookupResult:
    return LookupResult(
        raw=raw,
        e164=None,
        valid=False,
        possible=False,
        country_code=None,
        region=None,
        number_type=UNKNOWN_TYPE,
        carrier_name="",
        national_number=None,
        international_format=None,
        national_format=None,
    )
