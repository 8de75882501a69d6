"""The SMPP half of each store (memory, SQLite, PostgreSQL): receipt rows on every finish.

A receipt row is written with the final status, only for messages that asked for one;
rows are handed over once; inbound MO is queued for the account's binds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smsgate.core.messages import PartStatus, Status
from smsgate.services.inbound import InboundMessage, InboundStore
from smsgate.services.inbound_plan import MoEffects
from smsgate.services.ports import ReceiptUpdate, SendOutcome, Store
from smsgate.services.smpp_customers import SmppStore
from tests.integration.backends import BACKENDS, fresh_database
from tests.integration.store.scenario import CONNECTOR, NOW, VALIDITY, funded, sent, submission


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with fresh_database(str(request.param), tmp_path, request) as db:
        yield await db.open()


def smpp(store: Store) -> SmppStore:
    assert isinstance(store, SmppStore)
    return store


def inbound(store: Store) -> InboundStore:
    assert isinstance(store, InboundStore)
    return store


async def pending_ids(store: Store, account_id: int) -> list[str]:
    items = await smpp(store).smpp_pending(account_id, 100)
    return [item.message.id for item in items if item.message is not None]


async def test_every_finishing_path_queues_a_receipt(store: Store) -> None:
    alice = await funded(store, "alice", credit=100)
    wanted = dataclasses.replace(submission(alice, recipients=4), registered_delivery=True)
    silent = submission(alice, recipients=1)
    scheduled = dataclasses.replace(
        submission(alice, scheduled_at=NOW + 600), registered_delivery=True
    )
    ids = [m.id for m in (await store.accept(wanted)).messages]
    await store.accept(silent)
    cancelled = (await store.accept(scheduled)).messages[0].id
    claimed = {m.id: m for m in await store.claim(NOW, 10)}
    delivered, rejected, expiring, failing = (claimed[i] for i in ids)
    await store.record_sends(
        [
            sent(delivered),
            sent(expiring),
            SendOutcome(rejected.id, Status.REJECTED, CONNECTOR, (), "refused", 1, None),
            SendOutcome(failing.id, Status.FAILED, CONNECTOR, (), "broken", 0, None),
        ],
        NOW,
    )
    upstream = f"up-{delivered.id}-1"
    await store.apply_receipts(
        [ReceiptUpdate(CONNECTOR, upstream, PartStatus.DELIVERED, None, NOW + 1)]
    )
    await store.cancel(cancelled, NOW + 2)
    assert await store.expire(NOW + VALIDITY + 1, 100) >= 1
    assert sorted(await pending_ids(store, alice.id)) == sorted([*ids, cancelled])
    assert await smpp(store).smpp_waiting_accounts() == [alice.id]


async def test_rows_are_handed_over_once(store: Store) -> None:
    alice = await funded(store, "alice", credit=100)
    wanted = dataclasses.replace(submission(alice, recipients=2), registered_delivery=True)
    accepted = await store.accept(wanted)
    await store.record_sends(
        [
            SendOutcome(m.id, Status.REJECTED, CONNECTOR, (), "refused", 0, None)
            for m in accepted.messages
        ],
        NOW,
    )
    items = await smpp(store).smpp_pending(alice.id, 100)
    assert len(items) == 2
    await smpp(store).smpp_handed_over([items[0].id], [items[1].id], NOW)
    [left] = await smpp(store).smpp_pending(alice.id, 100)
    assert (left.id, left.attempts) == (items[1].id, 1)


async def test_inbound_rows(store: Store) -> None:
    alice = await funded(store, "alice")
    inbound_id = await inbound(store).add_inbound(
        InboundMessage("sim", "+393331234567", "4321", "hi", "gsm7", 1, NOW, alice.id),
        MoEffects(smpp=True),
    )
    [item] = await smpp(store).smpp_pending(alice.id, 10)
    assert item.kind == "mo" and item.inbound is not None
    assert (item.inbound.id, item.inbound.text, item.inbound.source) == (
        inbound_id,
        "hi",
        "+393331234567",
    )


async def test_inbound_rows_carry_what_rendering_needs(store: Store) -> None:
    alice = await funded(store, "alice")
    flagged = InboundMessage(
        "sim", "393331234567", "4321", "fffe", "binary", 2, NOW, alice.id, flag="bad_coding"
    )
    long = dataclasses.replace(flagged, text="long " * 60, encoding="ucs2", parts=3, flag=None)
    for mo in (flagged, long):
        await inbound(store).add_inbound(mo, MoEffects(smpp=True))
    items = await smpp(store).smpp_pending(alice.id, 10)
    assert [
        (i.inbound.text, i.inbound.encoding, i.inbound.parts, i.inbound.flag)
        for i in items
        if i.inbound is not None
    ] == [("fffe", "binary", 2, "bad_coding"), ("long " * 60, "ucs2", 3, None)]


async def test_unrouted_inbound_is_queued_for_no_bind(store: Store) -> None:
    alice = await funded(store, "alice")
    unrouted = InboundMessage("sim", "+393331234567", "4321", "hi", "gsm7", 1, NOW)
    assert await inbound(store).add_inbound(unrouted, MoEffects(smpp=True)) > 0
    assert await smpp(store).smpp_waiting_accounts() == []
    assert await smpp(store).smpp_pending(alice.id, 10) == []
