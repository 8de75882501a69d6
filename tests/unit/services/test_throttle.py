import pytest

from smsgate.core.errors import RateLimited
from smsgate.services.throttle import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t


def test_bucket_allows_a_second_of_burst_then_refills() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, rate=10)
    limiter.take(1, 10)
    with pytest.raises(RateLimited):
        limiter.take(1, 1)
    limiter.take(2, 10)  # another account has its own bucket
    clock.t += 0.5
    limiter.take(1, 5)
    with pytest.raises(RateLimited):
        limiter.take(1, 1)


def test_a_refused_request_spends_nothing() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, rate=10)
    with pytest.raises(RateLimited):
        limiter.take(1, 11)
    limiter.take(1, 10)


def test_zero_rate_means_unlimited() -> None:
    limiter = RateLimiter(FakeClock(), rate=0)
    for _ in range(100):
        limiter.take(1, 1000)
