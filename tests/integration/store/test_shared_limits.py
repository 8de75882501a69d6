"""Limits shared by every node, on memory, SQLite and PostgreSQL: customer SMPP binds
counted with leases, messages accepted per account and second, and failed logins
counted by two processes' lockouts."""

from __future__ import annotations

import asyncio

import pytest

from smsgate.core.errors import LoginBlocked, RateLimited
from smsgate.services.lockout import Lockout, LockoutPolicy, LoginFailureStore
from smsgate.services.ports import Store
from smsgate.services.smpp_customers import BindClaim, BindStore
from smsgate.services.throttle import RateLimiter, SendCountStore, SharedCounts
from tests.integration.backends import Database
from tests.integration.store.scenario import funded


class Clock:
    def __init__(self, now: float) -> None:
        self.t = now

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def binds(store: Store) -> BindStore:
    assert isinstance(store, BindStore)
    return store


def counts(store: Store) -> SendCountStore:
    assert isinstance(store, SendCountStore)
    return store


async def test_a_bind_is_refused_at_the_account_s_limit_over_every_node(store: Store) -> None:
    alice, bob = await funded(store, "alice"), await funded(store, "bob")
    assert await binds(store).claim_bind(BindClaim("a1", alice.id, "node-a", 2))
    assert await binds(store).claim_bind(BindClaim("b1", alice.id, "node-b", 2))
    assert not await binds(store).claim_bind(BindClaim("b2", alice.id, "node-b", 2))
    assert await binds(store).claim_bind(BindClaim("b3", bob.id, "node-b", 2))
    assert await binds(store).live_binds(alice.id) == 2
    await binds(store).release_bind("a1")
    await binds(store).release_bind("unknown")
    assert await binds(store).claim_bind(BindClaim("b2", alice.id, "node-b", 2))
    assert await binds(store).release_node_binds("node-b") == 3
    assert await binds(store).live_binds(alice.id) == 0
    assert not await binds(store).claim_bind(BindClaim("z", alice.id, "node-a", 0))


async def test_the_binds_of_a_node_that_stops_renewing_stop_counting(store: Store) -> None:
    alice = await funded(store, "alice")
    assert await binds(store).claim_bind(BindClaim("a1", alice.id, "node-a", 1, lease=0.3))
    assert await binds(store).claim_bind(BindClaim("x", alice.id, "node-b", 5, lease=0.3))
    assert await binds(store).renew_binds("node-b", 60.0) == 1
    await asyncio.sleep(0.6)
    # node-a's lease ran out: its bind no longer counts; node-b renewed its own
    assert await binds(store).live_binds(alice.id) == 1
    assert await binds(store).claim_bind(BindClaim("b1", alice.id, "node-b", 2))
    assert not await binds(store).claim_bind(BindClaim("b2", alice.id, "node-b", 2))


async def test_send_counts_add_up_per_holder_and_show_the_others(store: Store) -> None:
    alice, bob = await funded(store, "alice"), await funded(store, "bob")
    shared = counts(store)
    assert await shared.share_send_counts("a", {(alice.id, 100): 3}, 96) == {}
    assert await shared.share_send_counts("a", {(alice.id, 100): 2, (bob.id, 101): 1}, 96) == {}
    others = await shared.share_send_counts("b", {(alice.id, 100): 4}, 96)
    assert others == {(alice.id, 100): 5, (bob.id, 101): 1}
    assert await shared.share_send_counts("a", {}, 96) == {(alice.id, 100): 4}
    # seconds before `since` are not read, and are deleted once old enough
    assert await shared.share_send_counts("c", {}, 101) == {(bob.id, 101): 1}
    await shared.share_send_counts("c", {}, 1000)
    assert await shared.share_send_counts("c", {}, 0) == {}


async def test_two_processes_enforce_one_rate_on_their_sum(store: Store) -> None:
    alice = await funded(store, "alice")
    clock = Clock(1000.0)
    a_limiter, b_limiter = RateLimiter(clock), RateLimiter(clock)
    a = SharedCounts(counts(store), a_limiter, clock, "a")
    b = SharedCounts(counts(store), b_limiter, clock, "b")
    await a.share()
    await b.share()  # the first round only learns what the others counted
    a_limiter.take(alice.id, 10, 10.0)  # a spends the whole burst
    a.taken(alice.id, 10)
    b_limiter.take(alice.id, 1, 10.0)  # b has not heard yet: one over (the bound)
    b.taken(alice.id, 1)
    await a.share()
    await b.share()
    with pytest.raises(RateLimited, match="per second"):
        b_limiter.take(alice.id, 1, 10.0)
    clock.advance(0.5)  # five tokens back, less the one b took: four for both
    b_limiter.take(alice.id, 4, 10.0)
    with pytest.raises(RateLimited, match="per second"):
        b_limiter.take(alice.id, 1, 10.0)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_failed_logins_count_over_two_processes(database: Database) -> None:
    one, other = await database.open(), await database.open()
    assert isinstance(one, LoginFailureStore) and isinstance(other, LoginFailureStore)
    await funded(one, "alice")
    clock = Clock(1000.0)
    policy = LockoutPolicy(per_address=0, per_name=3)
    a, b = Lockout(one, clock, policy), Lockout(other, clock, policy)
    await a.failed("10.0.0.1", "alice")
    await b.failed("10.0.0.2", "alice")
    await a.check("10.0.0.1", "alice")
    await a.failed("10.0.0.3", "alice")  # the third failure of the name, over both
    clock.advance(1.0)  # b reads the blocks again (at most once a second)
    with pytest.raises(LoginBlocked):
        await b.check("10.0.0.9", "alice")
