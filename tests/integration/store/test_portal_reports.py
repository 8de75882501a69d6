"""What the portal's webhook and statistics pages read, on every store backend: an
account's webhook deliveries (receipts and MO) with their last answers, newest first,
and message totals by the recipient's calling code."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from smsgate.core.messages import Status
from smsgate.services.account_webhooks import MO, RECEIPT, WebhookLogStore
from smsgate.services.inbound_numbers import NATIVE
from smsgate.services.inbound_plan import MoTarget
from smsgate.services.mo_webhooks import MoOutboxStore
from smsgate.services.ports import NotificationAttempt, Store
from smsgate.services.statistics import DestinationRow, StatisticsStore
from smsgate.store.rules import day_of
from tests.integration.store.scenario import NOW, funded, submission
from tests.integration.store.test_mo_outbox_contract import add_mo

URL = "https://hooks.example/mo"
CALLBACK = "https://hooks.example/receipts"


async def test_webhook_deliveries_are_the_account_s_newest_first_with_answers(
    store: Store,
) -> None:
    assert isinstance(store, WebhookLogStore) and isinstance(store, MoOutboxStore)
    alice, bob = await funded(store, "alice", 100), await funded(store, "bob", 100)
    scheduled = submission(alice, scheduled_at=NOW + 600, callback_url=CALLBACK)
    receipt = (await store.accept(scheduled)).messages[0]
    await store.cancel(receipt.id, NOW + 1)  # final: its receipt is queued at NOW + 1
    first = await add_mo(store, alice.id, "+393331111111", "a", MoTarget(URL, NATIVE), at=NOW)
    second = await add_mo(store, alice.id, "+393331111111", "b", MoTarget(URL, NATIVE), at=NOW)
    await add_mo(store, bob.id, "+393332222222", "bob's", MoTarget(URL, NATIVE), at=NOW)
    [due] = [d for d in await store.due_mo_webhooks(NOW + 5, 10) if d.mo.id == first]
    await store.record_mo_webhooks(
        [NotificationAttempt(due.id, False, 500, "HTTP 500", NOW + 60)], NOW + 5
    )
    [note] = await store.due_notifications(NOW + 5, 10)
    await store.record_notifications([NotificationAttempt(note.id, True, 204, None, None)], NOW + 5)

    found = await store.webhook_deliveries(alice.id, 10)
    # the receipt was queued last (NOW + 1); the MO rows at NOW, the newest row first
    assert [(d.kind, d.subject) for d in found] == [
        (RECEIPT, receipt.id),
        (MO, str(second)),
        (MO, str(first)),
    ]
    assert dataclasses.astuple(found[0])[3:] == (
        CALLBACK,
        "delivered",
        1,
        NOW + 1,
        found[0].next_at,
        204,
        None,
    )
    failed = found[2]
    assert (failed.url, failed.state, failed.attempts) == (URL, "pending", 1)
    assert (failed.next_at, failed.last_status, failed.last_error) == (NOW + 60, 500, "HTTP 500")
    assert (found[1].attempts, found[1].last_status, found[1].last_error) == (0, None, None)
    assert [d.subject for d in await store.webhook_deliveries(alice.id, 2)] == [
        receipt.id,
        str(second),
    ]
    assert [d.kind for d in await store.webhook_deliveries(bob.id, 10)] == [MO]


async def test_destination_totals_group_by_the_recipient_s_first_characters(
    store: Store,
) -> None:
    assert isinstance(store, StatisticsStore)
    alice, bob = await funded(store, "alice", 1000), await funded(store, "bob", 1000)
    italy = submission(alice, recipients=3, cost=2, parts=2)
    abroad = dataclasses.replace(
        submission(alice, cost=5, created_at=NOW + 86_400),
        messages=tuple(
            dataclasses.replace(m, to="+12025550123") for m in submission(alice, cost=5).messages
        ),
    )
    await store.accept(italy)
    await store.accept(abroad)
    await store.accept(submission(bob, recipients=2))

    rows = await store.destination_totals(
        [alice.id], since=NOW, until=NOW + 2 * 86_400, utc_offset=0
    )
    day = day_of(int(NOW // 86_400))
    assert day == datetime.fromtimestamp(NOW, UTC).date()
    assert sorted(rows, key=lambda r: r.day) == [
        DestinationRow(alice.id, day, "+393", Status.QUEUED, "EUR", 3, 6, 6),
        DestinationRow(
            alice.id, day_of(int(NOW // 86_400) + 1), "+120", Status.QUEUED, "EUR", 1, 1, 5
        ),
    ]
    assert await store.destination_totals([], since=NOW, until=NOW + 1, utc_offset=0) == []
