"""Failed logins on every store backend, and shared by two stores on one database."""

from __future__ import annotations

import asyncio

import pytest

from smsgate.core.errors import LoginBlocked
from smsgate.services.lockout import Lockout, LockoutPolicy, LoginFailureStore
from smsgate.services.ports import Store
from tests.integration.backends import Database


def failures(store: Store) -> LoginFailureStore:
    assert isinstance(store, LoginFailureStore)
    return store


class Clock:
    def __init__(self, at: float = 1_000_000.0) -> None:
        self.at = at

    def now(self) -> float:
        return self.at


async def test_counts_within_the_window(store: Store) -> None:
    s = failures(store)
    assert await s.add_login_failures(["a:192.0.2.1", "n:alice"], 100.0, 300.0) == {
        "a:192.0.2.1": 1,
        "n:alice": 1,
    }
    assert await s.add_login_failures(["a:192.0.2.1"], 200.0, 300.0) == {"a:192.0.2.1": 2}
    # 300 s after the first failure the count starts again.
    assert await s.add_login_failures(["a:192.0.2.1", "n:alice"], 400.0, 300.0) == {
        "a:192.0.2.1": 1,
        "n:alice": 1,
    }
    # Names with failures are watched (0: not blocked); addresses only when blocked.
    assert await s.login_watch(400.0, 300.0) == {"n:alice": 0.0}
    assert await s.login_watch(700.0, 300.0) == {}


async def test_block_clear_and_prune(store: Store) -> None:
    s = failures(store)
    await s.add_login_failures(["a:192.0.2.1", "n:alice", "n:bob"], 100.0, 300.0)
    await s.block_logins(["a:192.0.2.1", "n:alice"], 700.0)
    assert await s.login_watch(100.0, 300.0) == {
        "a:192.0.2.1": 700.0,
        "n:alice": 700.0,
        "n:bob": 0.0,
    }
    assert await s.login_watch(700.0, 300.0) == {}
    # A blocked name is not cleared; another one is.
    await s.clear_login_failures("n:alice", 200.0)
    await s.clear_login_failures("n:bob", 200.0)
    assert await s.login_watch(200.0, 300.0) == {"a:192.0.2.1": 700.0, "n:alice": 700.0}
    assert await s.add_login_failures(["n:bob"], 200.0, 300.0) == {"n:bob": 1}
    # After its block, a subject counts from 1 again.
    assert await s.add_login_failures(["n:alice"], 800.0, 300.0) == {"n:alice": 1}
    # Only bob's row is old enough: a block starts its subject's window at its end.
    assert await s.prune_login_failures(before=600.0, now=800.0) == 1
    assert await s.add_login_failures(["n:bob", "n:alice"], 800.0, 300.0) == {
        "n:bob": 1,
        "n:alice": 2,
    }


async def test_two_processes_share_the_count_and_the_block(
    sql_database: Database,
) -> None:
    one, two = await sql_database.open(), await sql_database.open()
    clock = Clock()
    policy = LockoutPolicy(per_address=10, per_name=5)
    first, second = (Lockout(failures(s), clock, policy) for s in (one, two))
    address = "192.0.2.1"
    # 10 failures of one address, counted by both processes at once.
    await asyncio.gather(
        *(lockout.failed(address, None) for lockout in (first, second) for _ in range(5))
    )
    for lockout in (first, second):
        with pytest.raises(LoginBlocked):
            await lockout.check(address)
    # A third process, started afterwards, reads the block from the store.
    third = Lockout(failures(await sql_database.open()), clock, policy)
    with pytest.raises(LoginBlocked) as caught:
        await third.check(address, "alice")
    assert caught.value.retry_after == pytest.approx(policy.block)
    await third.check("192.0.2.2", "alice")
    clock.at += policy.block + 1
    await third.check(address)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_concurrent_failures_lose_no_count(database: Database) -> None:
    stores = [failures(await database.open()) for _ in range(3)]
    await asyncio.gather(
        *(s.add_login_failures(["n:alice"], 100.0, 300.0) for s in stores for _ in range(4))
    )
    assert await stores[0].add_login_failures(["n:alice"], 101.0, 300.0) == {"n:alice": 13}
