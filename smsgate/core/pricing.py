"""Pricing: the price of one part to a destination, by longest prefix match.

A price list maps prefixes of E.164 digits to a price per part; "*" is its default.
An account consults its own list, then its ancestors', then the system default.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from smsgate.core.errors import InvalidRequest, NoPrice
from smsgate.core.money import parse_amount

DEFAULT_PREFIX = "*"


@dataclass(frozen=True, slots=True)
class PriceList:
    """Prices of one owner (an account id, or None for the system default)."""

    owner_id: int | None
    prices: Mapping[str, int] = field(default_factory=dict)
    longest: int = 0

    @classmethod
    def of(cls, owner_id: int | None, prices: Mapping[str, int]) -> PriceList:
        longest = max((len(p) for p in prices if p != DEFAULT_PREFIX), default=0)
        return cls(owner_id, dict(prices), longest)

    def lookup(self, digits: str) -> int | None:
        """Price per part for E.164 digits (no '+'), or None when the list has none."""
        for size in range(min(self.longest, len(digits)), 0, -1):
            price = self.prices.get(digits[:size])
            if price is not None:
                return price
        return self.prices.get(DEFAULT_PREFIX)


def price_per_part(e164: str, lists: Sequence[PriceList]) -> int:
    """The price of one part to `e164` from the first list in `lists` that covers it."""
    digits = e164.lstrip("+")
    for price_list in lists:
        price = price_list.lookup(digits)
        if price is not None:
            return price
    raise NoPrice(f"no price for destination {e164}", field="to")


def check_prefix(prefix: str) -> str:
    """A prefix is '*' or 1-15 digits (an optional leading '+' is dropped)."""
    prefix = prefix.strip().lstrip("+")
    if prefix == DEFAULT_PREFIX or (prefix.isdigit() and 0 < len(prefix) <= 15):
        return prefix
    raise InvalidRequest(f"invalid prefix {prefix!r}: digits or '*'", field="prefix")


def read_price_file(text: str) -> list[tuple[str, int]]:
    """A price file's `prefix,price` rows, as `smsgate price import` and the console
    read them (a first row that is not a price is a header; empty rows are skipped);
    InvalidRequest naming the first bad row, and nothing read."""
    rows: list[tuple[str, int]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for line in reader:
            number = reader.line_num
            if not "".join(line).strip():
                continue
            if len(line) < 2:
                raise InvalidRequest(f"row {number}: expected prefix,price", field="file")
            try:
                price = parse_amount(line[1].strip(), field="price")
            except InvalidRequest as exc:
                if number == 1:
                    continue
                raise InvalidRequest(f"row {number}: {exc.message}", field="file") from exc
            if price < 0:
                raise InvalidRequest(f"row {number}: a price cannot be negative", field="file")
            try:
                rows.append((check_prefix(line[0]), price))
            except InvalidRequest as exc:
                raise InvalidRequest(f"row {number}: {exc.message}", field="file") from exc
    except csv.Error as exc:
        raise InvalidRequest(f"row {reader.line_num}: {exc}", field="file") from exc
    if not rows:
        raise InvalidRequest("the file holds no prices", field="file")
    return rows
