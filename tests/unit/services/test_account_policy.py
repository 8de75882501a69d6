"""Who the allow-list lets in, and the send rate's bucket below one message a second."""

from __future__ import annotations

import pytest

from smsgate.core.errors import RateLimited
from smsgate.services.account_policy import ip_allowed
from smsgate.services.throttle import RateLimiter


@pytest.mark.parametrize(
    ("peer", "allowed", "expected"),
    [
        ("203.0.113.7", None, True),
        (None, None, True),
        ("203.0.113.7", ("203.0.113.7",), True),
        ("203.0.113.8", ("203.0.113.7",), False),
        ("198.51.100.200", ("10.0.0.0/8", "198.51.100.0/24"), True),
        ("2001:db8::1", ("2001:db8::/32",), True),
        ("2001:db9::1", ("2001:db8::/32",), False),
        ("::ffff:127.0.0.1", ("127.0.0.1",), True),
        ("::ffff:127.0.0.2", ("127.0.0.1",), False),
        ("127.0.0.1", ("::1",), False),
        (None, ("127.0.0.1",), False),
        ("not-an-address", ("127.0.0.1",), False),
    ],
)
def test_ip_allowed(peer: str | None, allowed: tuple[str, ...] | None, expected: bool) -> None:
    assert ip_allowed(peer, allowed) is expected


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t


def test_a_rate_below_one_a_second_still_lets_one_message_through() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    limiter.take(1, 1, 0.2)
    with pytest.raises(RateLimited) as refused:
        limiter.take(1, 1, 0.2)
    assert refused.value.retry_after == pytest.approx(5.0)
    clock.t += 5.0
    limiter.take(1, 1, 0.2)


def test_a_request_larger_than_the_burst_says_waiting_will_not_help() -> None:
    limiter = RateLimiter(Clock())
    with pytest.raises(RateLimited) as refused:
        limiter.take(1, 11, 10.0)
    assert refused.value.retry_after is None
    limiter.take(1, 10, 10.0)
