"""The Authenticator: scrypt off the event loop, the same work for unknown names, the
cache of successful checks, and the lockout checked before any password."""

from __future__ import annotations

import asyncio
import threading

import pytest

from smsgate.core.errors import LoginBlocked, Unauthenticated
from smsgate.services.clock import SystemClock
from smsgate.services.credentials import DUMMY_HASH, Authenticator, new_api_key, verify_password
from smsgate.services.lockout import Lockout, LockoutPolicy
from smsgate.services.ports import AccountToCreate
from smsgate.store.memory import MemoryStore

PASSWORD = "alice-secret"


class Recorder:
    """The real verify_password, noting what it was asked and on which thread."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.threads: set[int] = set()
        self.gate = gate

    def __call__(self, password: str, stored: str) -> bool:
        self.calls.append((password, stored))
        self.threads.add(threading.get_ident())
        if self.gate is not None:
            self.gate.wait(10)
        return verify_password(password, stored)


async def alice_store(password: str | None = PASSWORD) -> MemoryStore:
    """alice with `password`, bob with none."""
    store = MemoryStore()
    hashed = await Authenticator(store, SystemClock()).hash_password(password) if password else None
    for name, password_hash in (("alice", hashed), ("bob", None)):
        await store.create_account(
            AccountToCreate(name, None, True, "EUR", "IT", 10, password_hash, 0.0)
        )
    return store


async def test_an_unknown_name_costs_one_scrypt_like_a_known_one() -> None:
    store = await alice_store()
    verify = Recorder()
    auth = Authenticator(store, SystemClock(), verify=verify)
    for name in ("alice", "nobody", "bob"):  # bob has no password
        with pytest.raises(Unauthenticated) as caught:
            await auth.by_password(name, "wrong")
        assert caught.value.message == "invalid username or password"
        assert caught.value.field is None
    stored = await store.password_hash(1)
    assert verify.calls == [("wrong", stored), ("wrong", DUMMY_HASH), ("wrong", DUMMY_HASH)]


async def test_scrypt_runs_off_the_event_loop() -> None:
    store = await alice_store()
    gate = threading.Event()
    verify = Recorder(gate)
    auth = Authenticator(store, SystemClock(), verify=verify, threads=2)
    guesses = [asyncio.ensure_future(auth.by_password("alice", f"guess-{n}")) for n in range(8)]
    # While the verifications hang, the loop still answers others.
    for _ in range(20):
        await asyncio.sleep(0)
    assert not gate.is_set()
    assert not any(g.done() for g in guesses)
    gate.set()
    results = await asyncio.gather(*guesses, return_exceptions=True)
    assert all(isinstance(r, Unauthenticated) for r in results)
    assert threading.get_ident() not in verify.threads
    assert len(verify.calls) == 8


async def test_a_success_is_cached_and_a_wrong_password_never_hits_the_cache() -> None:
    store = await alice_store()
    verify = Recorder()
    auth = Authenticator(store, SystemClock(), verify=verify)
    account = await auth.by_password("alice", PASSWORD)
    assert (await auth.by_password("alice", PASSWORD)).id == account.id
    assert len(verify.calls) == 1
    with pytest.raises(Unauthenticated):
        await auth.by_password("alice", PASSWORD + "x")
    assert len(verify.calls) == 2
    auth.forget()
    await auth.by_password("alice", PASSWORD)
    assert len(verify.calls) == 3


class MovedClock:
    def __init__(self) -> None:
        self.at = 1000.0

    def now(self) -> float:
        return self.at


async def test_a_cached_success_lasts_five_seconds_of_the_clock_it_is_given() -> None:
    store = await alice_store()
    key, key_hash, prefix = new_api_key()
    await store.add_api_key(1, key_hash, prefix, 0.0)
    verify, clock = Recorder(), MovedClock()
    auth = Authenticator(store, clock, verify=verify)
    await auth.by_password("alice", PASSWORD)
    await auth.by_api_key(key)
    clock.at += 4.9
    await auth.by_password("alice", PASSWORD)
    assert len(verify.calls) == 1
    await store.revoke_api_key(1, prefix, 0.0)
    assert (await auth.by_api_key(key)).name == "alice"  # still cached
    clock.at += 0.2
    await auth.by_password("alice", PASSWORD)
    assert len(verify.calls) == 2
    with pytest.raises(Unauthenticated):
        await auth.by_api_key(key)


async def test_concurrent_logins_with_the_same_password_share_one_check() -> None:
    store = await alice_store()
    verify = Recorder()
    auth = Authenticator(store, SystemClock(), verify=verify)
    found = await asyncio.gather(*(auth.by_password("alice", PASSWORD) for _ in range(10)))
    assert {a.name for a in found} == {"alice"}
    assert len(verify.calls) == 1


async def test_a_blocked_caller_is_refused_before_any_password_is_checked() -> None:
    store = await alice_store()
    verify = Recorder()
    lockout = Lockout(store, SystemClock(), LockoutPolicy(per_address=10, per_name=3))
    auth = Authenticator(store, SystemClock(), lockout=lockout, verify=verify)
    for n in range(3):
        with pytest.raises(Unauthenticated):
            await auth.by_password("alice", f"guess-{n}", "192.0.2.1")
    with pytest.raises(LoginBlocked) as caught:
        await auth.by_password("alice", PASSWORD, "192.0.2.7")
    retry = caught.value.retry_after
    assert retry is not None and 0 < retry <= 300
    assert len(verify.calls) == 3
    # Another name from the same address is not blocked (3 of its 10).
    with pytest.raises(Unauthenticated):
        await auth.by_password("bob", "x", "192.0.2.1")


async def test_a_wrong_api_key_counts_against_the_address() -> None:
    store = await alice_store()
    lockout = Lockout(store, SystemClock(), LockoutPolicy(per_address=3))
    auth = Authenticator(store, SystemClock(), lockout=lockout)
    for n in range(3):
        with pytest.raises(Unauthenticated):
            await auth.by_api_key(f"sg_wrong{n}", "2001:db8::1")
    # Another address of the same /64 is the same subject.
    with pytest.raises(LoginBlocked):
        await auth.by_api_key("sg_wrong", "2001:db8::2")
    with pytest.raises(Unauthenticated):
        await auth.by_api_key("sg_wrong", "2001:db8:0:1::2")
