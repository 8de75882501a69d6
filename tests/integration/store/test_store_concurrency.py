"""Races every backend must win: group commit against a tight balance, competing claimers.

Two claimers are two store instances on one database (two processes, in effect):
on SQLite two writer connections to one file, on PostgreSQL two pools.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from smsgate.core.errors import InsufficientCredit
from smsgate.core.ledger import EntryKind
from smsgate.services.ports import Accepted, MessageQuery, Store
from smsgate.store import SqlStore
from tests.integration.backends import Database
from tests.integration.store.scenario import (
    NOW,
    assert_money_consistent,
    balance,
    funded,
    submission,
)


async def test_group_commit_never_overdraws(store: Store) -> None:
    alice = await funded(store, "alice", 100)

    results = await asyncio.gather(
        *(store.accept(submission(alice, cost=1)) for _ in range(200)), return_exceptions=True
    )

    accepted = [r for r in results if isinstance(r, Accepted)]
    refused = [r for r in results if isinstance(r, InsufficientCredit)]
    assert (len(accepted), len(refused)) == (100, 100)
    assert await balance(store, alice) == 0
    assert await store.queue_depth() == 100
    charges = await store.ledger(alice.id, limit=1_000, before_id=None)
    assert sorted(e.balance_after for e in charges) == list(range(101))
    await assert_money_consistent(store)
    if isinstance(store, SqlStore):
        assert store.group_commit.groups < 10, "callers share transactions"


async def test_group_commit_across_payers_and_references(store: Store) -> None:
    alice = await funded(store, "alice", 10)
    bob = await funded(store, "bob", 3)
    subs = [submission(alice, cost=2, reference=f"a{n % 4}") for n in range(12)]
    subs += [submission(bob, cost=1) for _ in range(5)]

    results = await asyncio.gather(*(store.accept(s) for s in subs), return_exceptions=True)

    fresh = [r for r in results if isinstance(r, Accepted) and not r.replayed]
    replays = [r for r in results if isinstance(r, Accepted) and r.replayed]
    refused = [r for r in results if isinstance(r, InsufficientCredit)]
    assert (len(fresh), len(replays), len(refused)) == (4 + 3, 8, 2)
    assert {r.batch_id for r in replays} <= {r.batch_id for r in fresh}
    assert (await balance(store, alice), await balance(store, bob)) == (2, 0)
    await assert_money_consistent(store)


async def test_one_broken_submission_fails_alone(sql_database: Database) -> None:
    store = await sql_database.open()
    alice = await funded(store, "alice", 10)
    ghost = await funded(store, "ghost")
    # An account that does not exist: the foreign key refuses the batch row.
    broken = replace(submission(ghost, cost=1, payer=alice), account_id=999_999)
    good = [submission(alice, cost=1) for _ in range(5)]

    results = await asyncio.gather(
        *(store.accept(s) for s in [*good[:2], broken, *good[2:]]), return_exceptions=True
    )

    assert [isinstance(r, Accepted) for r in results] == [True, True, False, True, True, True]
    assert await balance(store, alice) == 5
    await assert_money_consistent(store)


async def test_a_submission_the_database_refuses_fails_alone_in_a_busy_group(
    sql_database: Database,
) -> None:
    store = await sql_database.open()
    assert isinstance(store, SqlStore)
    accounts = [await funded(store, f"acct{n}", 100) for n in range(30)]
    # Past the edge's check: text and a reference that no driver encodes (a lone
    # surrogate); on PostgreSQL also a text with U+0000, which its text columns refuse.
    poisoned = {
        7: replace(submission(accounts[7], cost=3), text="bad \ud800"),
        19: submission(accounts[19], cost=3, reference="ref-\udfff"),
    }
    if sql_database.backend == "postgres":
        poisoned[25] = replace(submission(accounts[25], cost=3), text="nul \x00 here")
    subs = [poisoned.get(n) or submission(a, cost=3, recipients=2) for n, a in enumerate(accounts)]

    results = await asyncio.gather(*(store.accept(s) for s in subs), return_exceptions=True)

    assert store.group_commit.groups == 1, "all 30 shared one group"
    for n, (account, result) in enumerate(zip(accounts, results, strict=True)):
        charges = await store.ledger(account.id, limit=10, before_id=None)
        stored = await store.messages(account.id, MessageQuery(limit=10))
        if n in poisoned:
            assert isinstance(result, Exception) and not isinstance(result, Accepted)
            assert await balance(store, account) == 100
            assert [e.kind for e in charges] == [EntryKind.TOPUP]
            assert stored == []
        else:
            assert isinstance(result, Accepted), result
            assert await balance(store, account) == 100 - 6
            assert [e.amount for e in charges] == [-6, 100]
            assert sorted(m.id for m in stored) == sorted(m.id for m in result.messages)
    assert await store.queue_depth() == 2 * (30 - len(poisoned))
    await assert_money_consistent(store)


async def test_two_claimers_never_share_a_message(sql_database: Database) -> None:
    first, second = await sql_database.open(), await sql_database.open()
    alice = await funded(first, "alice", 10_000)
    total = 600
    for _ in range(total // 100):
        await first.accept(submission(alice, recipients=100))

    async def drain(store: Store) -> list[str]:
        taken: list[str] = []
        while batch := await store.claim(NOW + 1, 7):
            taken += [m.id for m in batch]
            await asyncio.sleep(0)
        return taken

    # Alternate first, so both stores certainly claim, then race them for the rest.
    alternating = [m.id for i in range(4) for m in await (first, second)[i % 2].claim(NOW + 1, 7)]
    takers = await asyncio.gather(drain(first), drain(second), drain(first), drain(second))
    everything = alternating + [message_id for taken in takers for message_id in taken]
    assert len(everything) == len(set(everything)) == total
    assert await first.queue_depth() == total


async def test_same_reference_from_two_processes_is_stored_once(sql_database: Database) -> None:
    first, second = await sql_database.open(), await sql_database.open()
    alice = await funded(first, "alice", 1_000)
    subs = [submission(alice, cost=10, reference=f"order-{n % 5}") for n in range(40)]

    results = await asyncio.gather(
        *(store.accept(s) for store, s in zip([first, second] * 20, subs, strict=True))
    )

    assert sum(not r.replayed for r in results) == 5
    assert len({r.batch_id for r in results}) == 5
    assert await balance(second, alice) == 1_000 - 50
    await assert_money_consistent(first)
