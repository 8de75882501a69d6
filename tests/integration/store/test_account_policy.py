"""The account access policy on each store (memory, SQLite, PostgreSQL), read and set
through `AccountPolicies`: it round-trips, bad values are refused naming the field and
change nothing, and another process sees a change once its cache entry expires."""

from __future__ import annotations

import asyncio

import pytest

from smsgate.core.errors import InvalidRequest, RateLimited
from smsgate.services.account_policy import (
    DEFAULT_MAX_BINDS,
    AccountPolicies,
    AccountPolicy,
    AccountPolicyStore,
)
from smsgate.services.ports import Store
from tests.integration.store.scenario import funded


class Clock:
    def __init__(self) -> None:
        self.t = 1_000.0

    def now(self) -> float:
        return self.t


def policies_of(store: Store, clock: Clock | None = None) -> AccountPolicies:
    assert isinstance(store, AccountPolicyStore)
    return AccountPolicies(store, clock or Clock())


async def test_a_new_account_has_the_defaults(store: Store) -> None:
    alice = await funded(store, "alice")
    policies = policies_of(store)
    assert await policies.read(alice.id) == AccountPolicy(None, None, DEFAULT_MAX_BINDS)
    assert await policies.read(alice.id + 1000) == AccountPolicy()


async def test_a_policy_round_trips_normalized(store: Store) -> None:
    alice = await funded(store, "alice")
    bob = await funded(store, "bob")
    policies = policies_of(store)
    asked = AccountPolicy(
        allowed_ips=("10.0.0.1/32", "192.168.0.0/16", "2001:DB8::/32", "::1", "10.0.0.1"),
        send_rate=2.5,
        max_binds=3,
    )
    stored = await policies.set(alice.id, asked)
    assert stored == AccountPolicy(
        allowed_ips=("10.0.0.1", "192.168.0.0/16", "2001:db8::/32", "::1"),
        send_rate=2.5,
        max_binds=3,
    )
    assert await policies_of(store).read(alice.id) == stored
    assert await policies.read(bob.id) == AccountPolicy()
    cleared = await policies.set(alice.id, AccountPolicy(max_binds=0))
    assert await policies_of(store).read(alice.id) == cleared == AccountPolicy(None, None, 0)


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (AccountPolicy(allowed_ips=("10.0.0.300",)), "allowed_ips"),
        (AccountPolicy(allowed_ips=("10.0.0.1/8",)), "allowed_ips"),
        (AccountPolicy(allowed_ips=("10.0.0.0/33",)), "allowed_ips"),
        (AccountPolicy(allowed_ips=("example.com",)), "allowed_ips"),
        (AccountPolicy(allowed_ips=()), "allowed_ips"),
        (AccountPolicy(allowed_ips=tuple(f"10.0.{n // 250}.{n % 250}" for n in range(101))),
         "allowed_ips"),
        (AccountPolicy(send_rate=-1.0), "send_rate"),
        (AccountPolicy(send_rate=0.0), "send_rate"),
        (AccountPolicy(send_rate=float("inf")), "send_rate"),
        (AccountPolicy(send_rate=float("nan")), "send_rate"),
        (AccountPolicy(max_binds=-1), "max_binds"),
        (AccountPolicy(max_binds=1001), "max_binds"),
    ],
)  # fmt: skip
async def test_bad_values_are_refused_and_change_nothing(
    store: Store, bad: AccountPolicy, field: str
) -> None:
    alice = await funded(store, "alice")
    policies = policies_of(store)
    kept = await policies.set(alice.id, AccountPolicy(("127.0.0.1",), 5.0, 2))
    with pytest.raises(InvalidRequest) as refused:
        await policies.set(alice.id, bad)
    assert refused.value.field == field
    assert await policies_of(store).read(alice.id) == kept
    assert await policies.policy(alice.id) == kept


async def test_another_process_sees_a_change_when_its_cache_entry_expires(store: Store) -> None:
    alice = await funded(store, "alice")
    clock = Clock()
    here, there = policies_of(store, clock), policies_of(store, clock)
    assert (await there.policy(alice.id)).allowed_ips is None
    await here.set(alice.id, AccountPolicy(allowed_ips=("10.0.0.0/8",)))
    assert (await there.policy(alice.id)).allowed_ips is None
    clock.t += 2.5
    assert (await there.policy(alice.id)).allowed_ips == ("10.0.0.0/8",)


async def test_the_send_rate_is_one_bucket_per_account(store: Store) -> None:
    alice = await funded(store, "alice")
    bob = await funded(store, "bob")
    clock = Clock()
    policies = policies_of(store, clock)
    await policies.set(alice.id, AccountPolicy(send_rate=0.5))
    await policies.take(alice.id, 1)  # a burst of at least one message
    with pytest.raises(RateLimited) as refused:
        await policies.take(alice.id, 1)
    assert refused.value.retry_after == pytest.approx(2.0)
    for _ in range(50):
        await policies.take(bob.id, 1)  # no limit of its own, none gateway-wide
    clock.t += 2.0
    await policies.take(alice.id, 1)


class CountingStore:
    """The policy half of a store that counts its reads."""

    def __init__(self, store: AccountPolicyStore) -> None:
        self.store = store
        self.reads = 0

    async def account_policy(self, account_id: int) -> AccountPolicy:
        self.reads += 1
        return await self.store.account_policy(account_id)

    async def set_account_policy(self, account_id: int, policy: AccountPolicy) -> None:
        await self.store.set_account_policy(account_id, policy)


async def test_callers_that_miss_at_once_share_one_read(store: Store) -> None:
    alice = await funded(store, "alice")
    assert isinstance(store, AccountPolicyStore)
    counting = CountingStore(store)
    clock = Clock()
    policies = AccountPolicies(counting, clock)
    found = await asyncio.gather(*(policies.policy(alice.id) for _ in range(20)))
    assert found == [AccountPolicy()] * 20 and counting.reads == 1
    await policies.policy(alice.id)
    assert counting.reads == 1
    clock.t += 2.5
    await policies.policy(alice.id)
    assert counting.reads == 2
