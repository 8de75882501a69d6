import pytest

from smsgate.core.errors import InvalidRequest, NoPrice
from smsgate.core.pricing import PriceList, check_prefix, price_per_part


def test_longest_prefix_wins() -> None:
    prices = PriceList.of(None, {"39": 40_000, "39333": 30_000, "*": 90_000})
    assert prices.lookup("393331234567") == 30_000
    assert prices.lookup("393401234567") == 40_000
    assert prices.lookup("4915112345678") == 90_000


def test_first_list_covering_the_number_wins() -> None:
    own = PriceList.of(2, {"39": 10_000})
    parent = PriceList.of(1, {"49": 20_000})
    system = PriceList.of(None, {"*": 50_000})
    lists = [own, parent, system]
    assert price_per_part("+393331234567", lists) == 10_000
    assert price_per_part("+4915112345678", lists) == 20_000
    assert price_per_part("+33612345678", lists) == 50_000


def test_no_price_is_an_error() -> None:
    with pytest.raises(NoPrice):
        price_per_part("+33612345678", [PriceList.of(None, {"39": 1})])


@pytest.mark.parametrize(("raw", "clean"), [("*", "*"), ("+39", "39"), (" 393 ", "393")])
def test_check_prefix(raw: str, clean: str) -> None:
    assert check_prefix(raw) == clean


@pytest.mark.parametrize("raw", ["", "3a", "+", "1234567890123456"])
def test_check_prefix_rejects(raw: str) -> None:
    with pytest.raises(InvalidRequest):
        check_prefix(raw)
