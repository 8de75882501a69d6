"""The MO webhook outbox on every store backend: due rows carry their MO, one at a time
per (account, source, url) in the order they came, and attempts are recorded."""

from __future__ import annotations

import dataclasses

from smsgate.services.inbound import InboundMessage, InboundStore
from smsgate.services.inbound_numbers import NATIVE
from smsgate.services.inbound_plan import SMSPARTNER_REPLY, MoEffects, MoTarget
from smsgate.services.mo_webhooks import MoOutboxStore
from smsgate.services.ports import NotificationAttempt, Store
from tests.integration.store.scenario import NOW, funded, submission

A, B = "+393331111111", "+393332222222"
URL1, URL2 = "https://one.example/mo", "https://two.example/mo"


async def add_mo(
    store: Store, account_id: int, source: str, text: str, *targets: MoTarget, at: float = NOW
) -> int:
    assert isinstance(store, InboundStore)
    mo = InboundMessage("sim", source, "3000", text, "gsm7", 1, at, account_id)
    return await store.add_inbound(mo, MoEffects(webhooks=targets))


def outbox(store: Store) -> MoOutboxStore:
    assert isinstance(store, MoOutboxStore)
    return store


def delivered(row_id: int) -> NotificationAttempt:
    return NotificationAttempt(row_id, True, 200, None, None)


async def test_each_source_and_url_gets_its_oldest_pending_row_only(store: Store) -> None:
    alice = await funded(store, "alice")
    for text, source, url in (("a1", A, URL1), ("a2", A, URL1), ("b1", B, URL1), ("a3", A, URL2)):
        await add_mo(store, alice.id, source, text, MoTarget(url, NATIVE))
    await add_mo(store, alice.id, A, "a4", MoTarget(URL1, NATIVE))
    due = await outbox(store).due_mo_webhooks(NOW, 10)
    assert [(d.mo.text, d.url, d.shape, d.attempts) for d in due] == [
        ("a1", URL1, NATIVE, 0),
        ("b1", URL1, NATIVE, 0),
        ("a3", URL2, NATIVE, 0),
    ]
    first = due[0]
    assert (first.mo.source, first.mo.destination, first.mo.account_id) == (A, "3000", alice.id)
    assert first.reply_id is None
    assert [d.mo.text for d in await outbox(store).due_mo_webhooks(NOW, 2)] == ["a1", "b1"]
    assert await outbox(store).due_mo_webhooks(NOW - 1, 10) == []

    retry = NotificationAttempt(first.id, False, 500, "HTTP 500", NOW + 30)
    await outbox(store).record_mo_webhooks([retry, delivered(due[1].id)], NOW)
    after = await outbox(store).due_mo_webhooks(NOW, 10)
    assert [d.mo.text for d in after] == ["a3"], "a2 waits behind a1, which waits"
    retried = await outbox(store).due_mo_webhooks(NOW + 30, 10)
    assert [(d.mo.text, d.attempts) for d in retried] == [("a3", 0), ("a1", 1)]  # by next_at

    await outbox(store).record_mo_webhooks([delivered(first.id)], NOW + 30)
    assert [d.mo.text for d in await outbox(store).due_mo_webhooks(NOW + 30, 10)] == ["a2", "a3"]


async def test_a_row_given_up_lets_the_next_one_of_its_key_go(store: Store) -> None:
    alice = await funded(store, "alice")
    for text in ("one", "two"):
        await add_mo(store, alice.id, A, text, MoTarget(URL1, NATIVE))
    (first,) = await outbox(store).due_mo_webhooks(NOW, 10)
    gave_up = NotificationAttempt(first.id, False, None, "refused", None)
    await outbox(store).record_mo_webhooks([gave_up], NOW)
    (second,) = await outbox(store).due_mo_webhooks(NOW + 10_000, 10)
    assert second.mo.text == "two"
    # recorded once: a repeat, an attempt at a finished row or at no row changes nothing
    await outbox(store).record_mo_webhooks([delivered(first.id), delivered(10_000)], NOW)
    await outbox(store).record_mo_webhooks([delivered(second.id)], NOW)
    await outbox(store).record_mo_webhooks([delivered(second.id)], NOW)
    assert await outbox(store).due_mo_webhooks(NOW + 10_000, 10) == []


async def test_a_reply_row_names_the_send_it_answers(store: Store) -> None:
    alice = await funded(store, "alice", 1_000)
    send = dataclasses.replace(
        submission(alice), sender="3000", reply_url=URL1, created_at=NOW - 100
    )
    send = dataclasses.replace(send, messages=(dataclasses.replace(send.messages[0], to=A),))
    await store.accept(send)
    other = dataclasses.replace(submission(alice), sender="3000", created_at=NOW - 50)
    await store.accept(other)
    await add_mo(store, alice.id, A.removeprefix("+"), "yes", MoTarget(URL1, SMSPARTNER_REPLY))
    await add_mo(store, alice.id, B, "who?", MoTarget(URL2, SMSPARTNER_REPLY))
    due = await outbox(store).due_mo_webhooks(NOW, 10)
    assert [(d.mo.text, d.shape, d.reply_id) for d in due] == [
        ("yes", SMSPARTNER_REPLY, send.batch_id),
        ("who?", SMSPARTNER_REPLY, None),
    ]
