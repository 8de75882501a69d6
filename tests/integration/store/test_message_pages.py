"""The message list's pages on every backend: each filter, alone and together, walked page
by page with the cursor, gives exactly the account's matching messages newest (highest
id) first, whichever index the SQL store reads them from; creation times that do not
follow the ids included."""

from __future__ import annotations

from dataclasses import replace

import pytest

from smsgate.core.messages import Message, Status
from smsgate.services.ports import MessageQuery, Store
from tests.integration.store.scenario import NOW, funded, submission

DAY = 86_400.0
# Creation times in the order the batches are accepted: a clock that went back once.
TIMES = (NOW, NOW + DAY, NOW + 2 * DAY, NOW + 1.5 * DAY, NOW + 3 * DAY, NOW + 4 * DAY)


async def history(store: Store) -> tuple[int, list[Message]]:
    """Alice's messages (and some of bob's, never in her pages)."""
    alice = await funded(store, "alice", 1_000)
    bob = await funded(store, "bob", 1_000)
    found: list[Message] = []
    for n, at in enumerate(TIMES):
        mine = submission(alice, recipients=3, created_at=at, reference=f"r-{n}")
        mine = replace(mine, sender="Shop" if n % 3 == 0 else "smsgate")
        found.extend((await store.accept(mine)).messages)
        await store.accept(submission(bob, recipients=2, created_at=at, reference=f"r-{n}"))
    cancelled = await store.accept(submission(alice, scheduled_at=NOW + 9 * DAY, created_at=NOW))
    await store.cancel(cancelled.messages[0].id, NOW + 1)
    found.append((await store.message(cancelled.messages[0].id)) or cancelled.messages[0])
    return alice.id, found


def expected(messages: list[Message], q: MessageQuery) -> list[str]:
    return sorted(
        (
            m.id
            for m in messages
            if (q.status is None or m.status is q.status)
            and (q.batch_id is None or m.batch_id == q.batch_id)
            and (q.since is None or m.created_at >= q.since)
            and (q.until is None or m.created_at < q.until)
            and (q.to is None or m.to == q.to)
            and (q.sender is None or m.sender == q.sender)
            and (q.reference is None or m.reference == q.reference)
        ),
        reverse=True,
    )


async def walk(store: Store, account_id: int, query: MessageQuery) -> list[str]:
    """Every page of `query` (2 messages each), following the cursor."""
    ids: list[str] = []
    while True:
        page = await store.messages(account_id, replace(query, before_id=ids[-1] if ids else None))
        assert len(page) <= query.limit
        ids.extend(m.id for m in page)
        if len(page) < query.limit:
            return ids


QUERIES = {
    "all": {},
    "status": {"status": Status.QUEUED},
    "rare status": {"status": Status.CANCELLED},
    "sender": {"sender": "Shop"},
    "reference": {"reference": "r-1"},
    "recipient": {"to": "+393331234501"},
    "period": {"since": NOW + DAY, "until": NOW + 2.5 * DAY},
    "since": {"since": NOW + 1.5 * DAY},
    "until near the oldest": {"until": NOW + DAY},
    "until near the newest": {"until": NOW + 3.5 * DAY},
    "recipient in a period": {"to": "+393331234500", "since": NOW + DAY, "until": NOW + 4 * DAY},
    "sender, reference, since": {"sender": "smsgate", "reference": "r-2", "since": NOW + DAY},
    "status in a period": {"status": Status.QUEUED, "since": NOW, "until": NOW + 2 * DAY},
    "nothing": {"sender": "nobody"},
}


@pytest.mark.parametrize("name", QUERIES)
async def test_each_filter_walked_by_cursor_gives_exactly_its_messages(
    store: Store, name: str
) -> None:
    account_id, messages = await history(store)
    query = MessageQuery(2, **QUERIES[name])  # type: ignore[arg-type]
    want = expected(messages, query)
    assert want or name in ("nothing",), "the scenario has messages for each filter"
    assert await walk(store, account_id, query) == want


async def test_a_batch_walked_by_cursor(store: Store) -> None:
    account_id, messages = await history(store)
    batch_id = messages[4].batch_id
    query = MessageQuery(2, batch_id=batch_id)
    assert await walk(store, account_id, query) == expected(messages, query)
    assert len(expected(messages, query)) == 3


async def test_an_account_without_messages_has_empty_pages(store: Store) -> None:
    carol = await funded(store, "carol", 10)
    for query in QUERIES.values():
        assert await store.messages(carol.id, MessageQuery(2, **query)) == []  # type: ignore[arg-type]
