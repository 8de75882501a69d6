"""Every outbox claimed by one node, on memory, SQLite and PostgreSQL: the receipt webhooks,
the MO webhooks and the SMPP deliveries. Two nodes claiming at once take each row once; a
dead node's claims, and a claim whose lease ran out, are taken again; a node releases
its own claims (a clean stop, or its previous life), never another's; recording an
attempt ends the claim."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from smsgate.core.errors import Unavailable
from smsgate.core.messages import Status
from smsgate.services.inbound import InboundMessage, InboundStore
from smsgate.services.inbound_numbers import NATIVE
from smsgate.services.inbound_plan import MoEffects, MoTarget
from smsgate.services.mo_webhooks import MoOutboxStore
from smsgate.services.nodes import NodeStore
from smsgate.services.ports import NotificationAttempt, SendOutcome, Store
from smsgate.services.smpp_customers import SmppStore
from smsgate.store import open_store
from smsgate.store import sqlite as sqlite_store
from tests.integration.backends import Database
from tests.integration.store.scenario import NOW, funded, submission

URL = "http://127.0.0.1:9/hook"
DUE = NOW + 10
LEASE = 60.0


def mo_outbox(store: Store) -> MoOutboxStore:
    assert isinstance(store, MoOutboxStore)
    return store


def smpp(store: Store) -> SmppStore:
    assert isinstance(store, SmppStore)
    return store


def nodes(store: Store) -> NodeStore:
    assert isinstance(store, NodeStore)
    return store


async def final_messages(store: Store, count: int) -> int:
    """`count` failed messages with a callback_url that asked for an SMPP receipt: a
    row in the receipt webhooks' outbox and in the SMPP outbox each; alice's id."""
    alice = await store.account_by_name("alice") or await funded(store, "alice", 10_000)
    wanted = submission(alice, recipients=count, callback_url=URL)
    await store.accept(dataclasses.replace(wanted, registered_delivery=True))
    claimed = await store.claim(NOW + 1, count)
    outcomes = [SendOutcome(m.id, Status.FAILED, None, (), "no_route", 0, None) for m in claimed]
    await store.record_sends(outcomes, NOW + 2)
    return alice.id


_sources = itertools.count(1)


async def mo_rows(store: Store, count: int) -> int:
    """`count` MO for a webhook, each from a sender of its own (each due at once)."""
    assert isinstance(store, InboundStore)
    alice = await store.account_by_name("alice") or await funded(store, "alice", 10_000)
    for _ in range(count):
        source = f"+39333{next(_sources):07d}"
        mo = InboundMessage("sim", source, "3000", "hi", "gsm7", 1, NOW, alice.id)
        await store.add_inbound(mo, MoEffects(webhooks=(MoTarget(URL, NATIVE),)))
    return alice.id


@dataclass(frozen=True)
class Outbox:
    """One outbox as a test drives it: `fill` adds rows (returning alice's id), `claim`
    returns the ids a node claimed, `retry` records a failed attempt due again at once."""

    name: str
    fill: Callable[[Store, int], Awaitable[int]]
    claim: Callable[[Store, int, str, int, float], Awaitable[list[int]]]
    release: Callable[[Store, str], Awaitable[int]]
    retry: Callable[[Store, list[int]], Awaitable[None]]


async def _claim_receipts(store: Store, _: int, node: str, limit: int, lease: float) -> list[int]:
    return [n.id for n in await store.claim_notifications(DUE, limit, node, lease)]


async def _retry_receipts(store: Store, ids: list[int]) -> None:
    attempts = [NotificationAttempt(i, False, 500, "HTTP 500", DUE) for i in ids]
    await store.record_notifications(attempts, DUE)


async def _claim_mo(store: Store, _: int, node: str, limit: int, lease: float) -> list[int]:
    return [d.id for d in await mo_outbox(store).claim_mo_webhooks(DUE, limit, node, lease)]


async def _retry_mo(store: Store, ids: list[int]) -> None:
    attempts = [NotificationAttempt(i, False, 500, "HTTP 500", DUE) for i in ids]
    await mo_outbox(store).record_mo_webhooks(attempts, DUE)


async def _claim_smpp(store: Store, account: int, node: str, limit: int, lease: float) -> list[int]:
    return [item.id for item in await smpp(store).smpp_claim(account, limit, node, lease)]


async def _retry_smpp(store: Store, ids: list[int]) -> None:
    await smpp(store).smpp_handed_over([], ids, DUE)


OUTBOXES = [
    Outbox(
        "receipt webhooks",
        final_messages,
        _claim_receipts,
        lambda store, node: store.release_notifications(node),
        _retry_receipts,
    ),
    Outbox(
        "MO webhooks",
        mo_rows,
        _claim_mo,
        lambda store, node: mo_outbox(store).release_mo_webhooks(node),
        _retry_mo,
    ),
    Outbox(
        "SMPP deliveries",
        final_messages,
        _claim_smpp,
        lambda store, node: smpp(store).smpp_release(node),
        _retry_smpp,
    ),
]


@pytest.fixture(params=OUTBOXES, ids=[o.name for o in OUTBOXES])
def kind(request: pytest.FixtureRequest) -> Outbox:
    found: Outbox = request.param
    return found


async def live(store: Store, *names: str, lease: float = 60.0) -> None:
    for pid, name in enumerate(names, 100):
        await nodes(store).register_node(name, f"host-{name}", pid, lease)


async def test_two_nodes_claiming_at_once_take_each_row_once(
    store: Store, database: Database, kind: Outbox
) -> None:
    account = await kind.fill(store, 100)
    # on SQL, node b has a store (connections) of its own on the same database
    other = store if database.backend == "memory" else await database.open(migrate=False)
    await live(store, "a", "b")

    async def claimer(on: Store, node: str) -> list[int]:
        taken: list[int] = []
        while found := await kind.claim(on, account, node, 7, LEASE):
            taken += found
        return taken

    rounds = await asyncio.gather(
        *(claimer(store, "a") for _ in range(4)), *(claimer(other, "b") for _ in range(4))
    )
    taken = [row for found in rounds for row in found]
    assert len(taken) == 100
    assert len(set(taken)) == 100, "a row was claimed twice"
    assert await kind.claim(store, account, "a", 100, LEASE) == []
    assert await kind.claim(store, account, "c", 100, LEASE) == [], "live claims are kept"


async def test_a_dead_node_s_claims_are_taken_again(store: Store, kind: Outbox) -> None:
    account = await kind.fill(store, 3)
    await live(store, "a", "b")
    claimed = sorted(await kind.claim(store, account, "a", 10, LEASE))
    assert len(claimed) == 3
    assert await kind.claim(store, account, "b", 10, LEASE) == []
    await live(store, "a", lease=-1.0)  # a's lease has run out: a is dead
    assert sorted(await kind.claim(store, account, "b", 10, LEASE)) == claimed
    assert await kind.claim(store, account, "c", 10, LEASE) == [], "b's claims are live"


async def test_a_claim_whose_lease_ran_out_is_taken_again(store: Store, kind: Outbox) -> None:
    account = await kind.fill(store, 2)
    await live(store, "a", "b")
    claimed = sorted(await kind.claim(store, account, "a", 10, 1.0))
    assert len(claimed) == 2
    assert await kind.claim(store, account, "b", 10, LEASE) == []
    await asyncio.sleep(1.3)  # the claims' lease runs out (a itself stays live)
    assert sorted(await kind.claim(store, account, "b", 10, LEASE)) == claimed


async def test_a_node_releases_its_own_claims_only(store: Store, kind: Outbox) -> None:
    account = await kind.fill(store, 4)
    await live(store, "a", "b")
    mine = sorted(await kind.claim(store, account, "a", 2, LEASE))
    theirs = await kind.claim(store, account, "b", 2, LEASE)
    assert len(mine) == len(theirs) == 2
    # a stops cleanly, or starts again after a crash: its previous life's claims end
    assert await kind.release(store, "a") == 2
    assert await kind.release(store, "a") == 0
    assert sorted(await kind.claim(store, account, "a", 10, LEASE)) == mine
    assert await kind.claim(store, account, "c", 10, LEASE) == []


async def test_own_claims_are_not_taken_again_by_their_node(store: Store, kind: Outbox) -> None:
    account = await kind.fill(store, 2)
    (first,) = await kind.claim(store, account, "a", 1, LEASE)  # "a" is not even live
    (second,) = await kind.claim(store, account, "a", 10, LEASE)
    assert first != second
    assert await kind.claim(store, account, "a", 10, LEASE) == []
    assert sorted(await kind.claim(store, account, "b", 10, LEASE)) == sorted([first, second])


async def test_recording_an_attempt_ends_the_claim(store: Store, kind: Outbox) -> None:
    account = await kind.fill(store, 2)
    await live(store, "a", "b")
    claimed = sorted(await kind.claim(store, account, "a", 10, LEASE))
    await kind.retry(store, claimed[:1])
    assert await kind.claim(store, account, "b", 10, LEASE) == claimed[:1]
    assert await kind.release(store, "a") == 1


async def test_smpp_accounts_wait_only_for_rows_no_live_claim_holds(store: Store) -> None:
    account = await final_messages(store, 2)
    await live(store, "a")
    assert await smpp(store).smpp_waiting_accounts() == [account]
    assert len(await smpp(store).smpp_claim(account, 10, "a", LEASE)) == 2
    assert await smpp(store).smpp_waiting_accounts() == []
    assert len(await smpp(store).smpp_pending(account, 10)) == 2, "still pending"
    await smpp(store).smpp_release("a")
    assert await smpp(store).smpp_waiting_accounts() == [account]


async def test_an_mo_claimed_holds_its_sender_s_next_one_back(store: Store) -> None:
    alice = await funded(store, "alice")
    assert isinstance(store, InboundStore)
    for text in ("one", "two"):
        mo = InboundMessage("sim", "+393331111111", "3000", text, "gsm7", 1, NOW, alice.id)
        await store.add_inbound(mo, MoEffects(webhooks=(MoTarget(URL, NATIVE),)))
    await live(store, "a", "b")
    (first,) = await mo_outbox(store).claim_mo_webhooks(DUE, 10, "a", LEASE)
    assert first.mo.text == "one"
    assert await mo_outbox(store).claim_mo_webhooks(DUE, 10, "b", LEASE) == []
    done = NotificationAttempt(first.id, True, 200, None, None)
    await mo_outbox(store).record_mo_webhooks([done], DUE)
    (second,) = await mo_outbox(store).claim_mo_webhooks(DUE, 10, "b", LEASE)
    assert second.mo.text == "two"


async def test_a_webhook_outbox_with_nothing_due_is_claimed_without_the_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An idle sender asks every 0.1 s: on SQLite that must not take the lock every
    # process writes under. With a row due, the claim needs it (and waits for it).
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "smsgate.db"
    store = await open_store(f"sqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        await final_messages(store, 1)
        await mo_rows(store, 1)
        claimed = await store.claim_notifications(DUE, 10, "a", LEASE)
        mo_claimed = await mo_outbox(store).claim_mo_webhooks(DUE, 10, "a", LEASE)
        assert (len(claimed), len(mo_claimed)) == (1, 1)
        delivered = NotificationAttempt(claimed[0].id, True, 200, None, None)
        await store.record_notifications([delivered], DUE)
        mo_delivered = NotificationAttempt(mo_claimed[0].id, True, 200, None, None)
        await mo_outbox(store).record_mo_webhooks([mo_delivered], DUE)

        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        assert await store.claim_notifications(DUE, 10, "a", LEASE) == []
        assert await mo_outbox(store).claim_mo_webhooks(DUE, 10, "a", LEASE) == []
        other.execute("COMMIT")

        await final_messages(store, 1)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(Unavailable):
            await store.claim_notifications(DUE, 10, "a", LEASE)
        other.execute("COMMIT")
        assert len(await store.claim_notifications(DUE, 10, "a", LEASE)) == 1
    finally:
        other.close()
        await store.close()
