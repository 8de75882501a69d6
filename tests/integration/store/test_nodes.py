"""Node leases and the recovery of claims by node, on memory, SQLite and PostgreSQL:
a node takes back its own earlier claims and those of nodes whose lease ran out, never
a live node's."""

from __future__ import annotations

import asyncio
import os
import secrets

import pytest

from smsgate.core.errors import Conflict
from smsgate.core.messages import Message, Status
from smsgate.services.nodes import NodeService, NodeStore
from smsgate.services.ports import Store
from tests.conftest import run_sql
from tests.integration.backends import Database
from tests.integration.store.scenario import NOW, funded, submission


def nodes(store: Store) -> NodeStore:
    assert isinstance(store, NodeStore)
    return store


async def statuses(store: Store, *claimed: Message) -> list[Status]:
    found = [await store.message(m.id) for m in claimed]
    return [m.status for m in found if m is not None]


async def claimed_by_a_and_b(store: Store) -> tuple[Message, Message, Message]:
    alice = await funded(store, "alice", 100)
    await store.accept(submission(alice, recipients=3))
    (a,) = await store.claim(NOW + 1, 1, node="a")
    (b,) = await store.claim(NOW + 1, 1, node="b")
    (legacy,) = await store.claim(NOW + 1, 1)
    return a, b, legacy


async def test_a_live_node_s_claims_are_left_alone(store: Store) -> None:
    a, b, legacy = await claimed_by_a_and_b(store)
    await nodes(store).register_node("a", "host-a", 101, 60.0)
    await nodes(store).register_node("b", "host-b", 102, 60.0)
    # b restarts: its own claims and those of no node come back, a's stay `sending`
    assert await store.recover_sending(NOW + 2, "b") == 2
    assert await statuses(store, a, b, legacy) == [Status.SENDING, Status.QUEUED, Status.QUEUED]
    # a's claim is young: the claim timeout of b does not reach it either
    assert await store.recover_sending(NOW + 100, "b") == 0


async def test_a_dead_node_s_claims_come_back(store: Store) -> None:
    a, b, _ = await claimed_by_a_and_b(store)
    await nodes(store).register_node("a", "host-a", 101, 0.2)
    await nodes(store).register_node("b", "host-b", 102, 60.0)
    assert await store.recover_sending(NOW, "b") == 0
    await asyncio.sleep(0.5)
    assert [n.id for n in await nodes(store).live_nodes()] == ["b"]
    assert await store.recover_sending(NOW, "b") == 1
    assert await statuses(store, a, b) == [Status.QUEUED, Status.SENDING]
    (again,) = await store.claim(NOW + 3, 10, node="b")
    assert (again.id, again.attempts) == (a.id, 2)


async def test_a_node_that_left_is_not_live(store: Store) -> None:
    a, _, _ = await claimed_by_a_and_b(store)
    await nodes(store).register_node("a", "host-a", 101, 60.0)
    await nodes(store).drop_node("a", 999)  # another process's row: kept
    assert await store.recover_sending(NOW, "b") == 0
    await nodes(store).drop_node("a", 101)
    assert await store.recover_sending(NOW, "b") == 1
    assert await statuses(store, a) == [Status.QUEUED]


async def test_renewing_extends_only_the_holder_s_lease(store: Store) -> None:
    await nodes(store).register_node("a", "host-a", 101, 0.3)
    assert not await nodes(store).renew_node("a", 999, 60.0)
    assert await nodes(store).renew_node("a", 101, 60.0)
    await asyncio.sleep(0.5)
    [node] = await nodes(store).live_nodes()
    assert (node.id, node.host, node.pid) == ("a", "host-a", 101)
    assert not await nodes(store).renew_node("gone", 101, 60.0)


async def test_a_node_id_held_by_a_live_process_is_refused(store: Store) -> None:
    elsewhere = NodeService(nodes(store), "n1", host="other-host", pid=4242)
    await elsewhere.register()
    with pytest.raises(Conflict):
        await NodeService(nodes(store), "n1").register()
    here = NodeService(nodes(store), "n2", pid=os.getppid())  # a running process here
    await here.register()
    with pytest.raises(Conflict):
        await NodeService(nodes(store), "n2").register()


async def test_a_dead_process_s_node_id_on_this_host_is_taken_over(store: Store) -> None:
    proc = await asyncio.create_subprocess_exec("true")
    await proc.wait()  # its pid now names no process
    await NodeService(nodes(store), "n1", pid=proc.pid).register()
    await NodeService(nodes(store), "n1").register()
    [node] = await nodes(store).live_nodes()
    assert node.pid == os.getpid()


@pytest.mark.parametrize(
    "backend", ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_a_signal_reaches_the_listeners_of_its_channel(database: Database) -> None:
    channel = f"test_{secrets.token_hex(4)}"
    listener = nodes(await database.open())
    # memory: one process, whose listeners are its own
    sender = listener if database.backend == "memory" else nodes(await database.open())
    heard, other = asyncio.Event(), asyncio.Event()
    payloads: list[str] = []

    def on_signal(payload: str) -> None:
        payloads.append(payload)
        heard.set()

    await listener.listen(channel, on_signal)
    await listener.listen(channel + "_other", lambda _: other.set())
    await sender.signal(channel, "prices:7")
    async with asyncio.timeout(10):
        await heard.wait()
    assert payloads == ["prices:7"]
    assert not other.is_set()


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_listener_whose_connection_is_killed_listens_again(database: Database) -> None:
    channel = f"test_{secrets.token_hex(4)}"
    listener, sender = nodes(await database.open()), nodes(await database.open())
    calls: list[int] = []
    heard = asyncio.Event()

    def on_signal(_payload: str) -> None:
        calls.append(1)
        heard.set()

    await listener.listen(channel, on_signal)
    await run_sql(
        database.url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        f" WHERE query = 'LISTEN \"{channel}\"'",
    )
    # once back, the listener is called (it may have missed a signal) and hears again
    async with asyncio.timeout(20):
        await heard.wait()
    heard.clear()
    async with asyncio.timeout(20):
        while not heard.is_set():
            await sender.signal(channel)
            await asyncio.sleep(0.2)
    assert len(calls) >= 2


async def test_a_dead_node_s_claims_wait_while_orphans_are_not_taken(store: Store) -> None:
    a, b, _ = await claimed_by_a_and_b(store)
    await nodes(store).register_node("a", "host-a", 101, 0.0)  # ran out at once
    await nodes(store).register_node("b", "host-b", 102, 60.0)
    assert await store.recover_sending(NOW, "b", orphans=False) == 0
    assert await statuses(store, a, b) == [Status.SENDING, Status.SENDING]
    assert await store.recover_sending(NOW, "b") == 1


async def test_a_claim_is_released_by_its_node_and_time(store: Store) -> None:
    alice = await funded(store, "alice", 100)
    await store.accept(submission(alice, recipients=4))
    first = await store.claim(NOW + 1, 2, node="a")
    second = await store.claim(NOW + 2, 1, node="a")
    other = await store.claim(NOW + 1, 1, node="b")
    assert await store.release_claim(NOW + 1, "a") == 2
    assert await statuses(store, *first, *second, *other) == [
        Status.QUEUED,
        Status.QUEUED,
        Status.SENDING,
        Status.SENDING,
    ]
    again = await store.claim(NOW + 3, 10, node="a")
    assert sorted(m.id for m in again) == sorted(m.id for m in first)
    assert [m.attempts for m in again] == [1, 1]  # the lost claim spent no attempt
    assert await store.release_claim(NOW + 1, "a") == 0
