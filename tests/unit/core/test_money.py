import pytest

from smsgate.core.errors import InvalidRequest
from smsgate.core.money import format_amount, parse_amount


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("5", 5_000_000),
        ("5.00", 5_000_000),
        ("0.05", 50_000),
        ("-0.05", -50_000),
        ("0,5", 500_000),
        ("1.234567", 1_234_567),
        (" 10 ", 10_000_000),
        (3, 3_000_000),
    ],
)
def test_parse_amount(text: str | int, micros: int) -> None:
    assert parse_amount(text) == micros


@pytest.mark.parametrize("text", ["", "abc", "1.2345678", "1e3", "--1", "1.", True])
def test_parse_amount_rejects(text: str) -> None:
    with pytest.raises(InvalidRequest):
        parse_amount(text)


@pytest.mark.parametrize(
    ("micros", "text"),
    [
        (0, "0.00"),
        (50_000, "0.05"),
        (10_000_000, "10.00"),
        (1_234_567, "1.234567"),
        (-50_000, "-0.05"),
    ],
)
def test_format_amount(micros: int, text: str) -> None:
    assert format_amount(micros) == text
    assert parse_amount(text) == micros
