"""Conformance of every Store backend on held messages: a claim holds what it is told
to (queued, no attempt spent), release_held frees them per upstream (or those of every
upstream but some) in their old order, and a held message past its validity expires
with a refund.
"""

from __future__ import annotations

from smsgate.core.messages import Message, Status
from smsgate.services.connectors import ConnectorStore
from smsgate.services.ports import Store
from tests.integration.store.scenario import NOW, queued_messages, state


async def test_a_claim_holds_what_it_is_told_to_until_released(store: Store) -> None:
    ids = await queued_messages(store, 3)
    seen: list[Status] = []

    def hold(message: Message) -> str | None:
        seen.append(message.status)
        return None if message.id == ids[1] else "op"

    (claimed,) = await store.claim(NOW + 1, 10, hold)
    assert claimed.id == ids[1] and claimed.status is Status.SENDING
    assert len(seen) == 3
    assert [await state(store, i) for i in ids] == [
        (Status.QUEUED, 0),
        (Status.SENDING, 1),
        (Status.QUEUED, 0),
    ]
    assert await store.claim(NOW + 1, 10) == []
    assert isinstance(store, ConnectorStore)
    assert await store.held_messages() == {"op": 2}
    assert await store.release_held(1) == 1
    assert await store.release_held(10) == 1
    assert await store.release_held(10) == 0
    assert await store.held_messages() == {}
    assert [m.id for m in await store.claim(NOW + 1, 10)] == [ids[0], ids[2]]


async def test_a_held_message_past_its_validity_expires_and_is_refunded(store: Store) -> None:
    (message_id,) = await queued_messages(store, 1)
    account = await store.account_by_name("alice")
    assert account is not None
    before = account.balance
    assert await store.claim(NOW + 1, 10, lambda message: "op") == []
    message = await store.message(message_id)
    assert message is not None
    assert await store.expire(message.expires_at + 1, 10) == 1
    assert await state(store, message_id) == (Status.EXPIRED, 0)
    account = await store.account_by_name("alice")
    assert account is not None and account.balance == before + message.cost
    assert await store.release_held(10) == 0  # no longer held


async def test_releasing_for_one_upstream_leaves_the_others_held(store: Store) -> None:
    ids = await queued_messages(store, 5)
    assert isinstance(store, ConnectorStore)
    assert await store.claim(NOW + 1, 10, lambda m: "a" if m.id in ids[:3] else "b") == []
    assert await store.release_held(2, "a") == 2
    assert await store.held_messages() == {"a": 1, "b": 2}
    assert await store.release_held(10, "a") == 1
    assert await store.held_messages() == {"b": 2}
    assert sorted(m.id for m in await store.claim(NOW + 1, 10)) == ids[:3]


async def test_releasing_all_but_some_upstreams_leaves_theirs_held(store: Store) -> None:
    ids = await queued_messages(store, 6)
    assert isinstance(store, ConnectorStore)
    hold = {ids[0]: "a", ids[1]: "a", ids[2]: "b", ids[3]: "c", ids[4]: "c", ids[5]: "c"}
    assert await store.claim(NOW + 1, 10, lambda m: hold[m.id]) == []
    assert await store.release_held(10, exclude={"a", "c"}) == 1
    assert await store.held_messages() == {"a": 2, "c": 3}
    assert await store.release_held(2, exclude={"a"}) == 2
    assert await store.release_held(2, exclude={"a"}) == 1
    assert await store.held_messages() == {"a": 2}
    assert await store.release_held(10, "a", exclude={"c"}) == 2
    assert sorted(m.id for m in await store.claim(NOW + 1, 10)) == sorted(ids)
