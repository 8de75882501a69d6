"""Route choice: account routes first, then the longest prefix, then priority; failover."""

from __future__ import annotations

import pytest

from smsgate.core.errors import InvalidRequest
from smsgate.core.routing import Route, candidate_routes, choose_connector, normalize_prefix

ROUTES = [
    Route(1, "39", "italy", None, 0),
    Route(2, "393", "italy-mobile", None, 5),
    Route(3, "393", "italy-mobile-backup", None, 9),
    Route(4, "39", "acme-italy", 7, 0),
    Route(5, "", "anywhere", None, 0),
]


def everything(name: str) -> bool:
    return True


def test_longest_prefix_wins_for_general_routes() -> None:
    assert choose_connector(ROUTES, "+393331234567", 1, everything) == "italy-mobile"
    assert choose_connector(ROUTES, "+390612345678", 1, everything) == "italy"


def test_account_route_beats_a_longer_general_prefix() -> None:
    assert choose_connector(ROUTES, "+393331234567", 7, everything) == "acme-italy"


def test_lower_priority_number_wins_between_equal_prefixes() -> None:
    order = [r.id for r in candidate_routes(ROUTES, "393331234567", 1)]
    assert order == [2, 3, 1, 5]


def test_unusable_connectors_fail_over_to_the_next_candidate() -> None:
    down = {"italy-mobile"}
    assert choose_connector(ROUTES, "+393331234567", 1, lambda n: n not in down) == (
        "italy-mobile-backup"
    )
    down = {"italy-mobile", "italy-mobile-backup", "italy", "anywhere"}
    assert choose_connector(ROUTES, "+393331234567", 1, lambda n: n not in down) is None


def test_no_matching_route_gives_none() -> None:
    assert choose_connector(ROUTES[:4], "+4915112345678", 1, everything) is None
    assert choose_connector([], "+4915112345678", 1, everything) is None


def test_routes_of_other_accounts_never_match() -> None:
    only_acme = [Route(1, "39", "acme-italy", 7, 0)]
    assert choose_connector(only_acme, "+393331234567", 8, everything) is None


@pytest.mark.parametrize(
    ("given", "stored"), [("+39", "39"), ("39", "39"), ("*", ""), ("", ""), (" 44 ", "44")]
)
def test_prefixes_are_normalized_to_digits(given: str, stored: str) -> None:
    assert normalize_prefix(given) == stored


@pytest.mark.parametrize("bad", ["3a", "+", "39*", "++39"])
def test_prefixes_must_be_digits(bad: str) -> None:
    with pytest.raises(InvalidRequest):
        normalize_prefix(bad)
