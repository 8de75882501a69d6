"""ReceiptRecorder on the memory store with a fixed clock: a message becomes final with
its last part, callers arriving together share one transaction, the answer to a receipt
that overtakes its send waits for it for a while, then the receipt is retried until it
matches or is too old, and a final message with a callback_url gets an outbox row."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from smsgate.core.messages import Message, PartStatus, Status
from smsgate.services.counters import Counters
from smsgate.services.delivery import UNMATCHED_GIVE_UP, UNMATCHED_HOLD, ReceiptRecorder
from smsgate.services.ports import AppliedReceipts, ReceiptUpdate
from smsgate.store.memory import MemoryStore
from tests.integration.store.scenario import CONNECTOR, NOW, funded, sent, submission
from tests.unit.services.fixed import FixedClock

HOOK = "https://example.com/hook"


class CountingStore(MemoryStore):
    """A memory store that counts its apply_receipts transactions."""

    def __init__(self) -> None:
        super().__init__()
        self.transactions = 0

    async def apply_receipts(self, receipts: Sequence[ReceiptUpdate]) -> AppliedReceipts:
        self.transactions += 1
        return await super().apply_receipts(receipts)


class Recording:
    """A ReceiptRecorder on a counting memory store, at a fixed time; an unmatched
    receipt's caller waits `hold` seconds (none by default), trying every 10 ms."""

    def __init__(self, hold: float = 0.0) -> None:
        self.store = CountingStore()
        self.clock = FixedClock(NOW + 10)
        self.stats = Counters()
        self.recorder = ReceiptRecorder(self.store, self.clock, self.stats, hold=hold, retry=0.01)

    async def claimed(self, parts: int = 1, callback_url: str | None = None) -> Message:
        alice = await self.store.account_by_name("alice") or await funded(
            self.store, "alice", 1_000
        )
        await self.store.accept(submission(alice, parts=parts, callback_url=callback_url))
        (message,) = await self.store.claim(NOW + 1, 10)
        return message

    async def sent(self, parts: int = 1, callback_url: str | None = None) -> Message:
        message = await self.claimed(parts, callback_url)
        await self.store.record_sends([sent(message)], NOW + 2)
        return message

    async def now(self, message: Message) -> Message:
        found = await self.store.message(message.id)
        assert found is not None
        return found


def receipt(
    message: Message, seq: int, status: PartStatus, error: str | None = None
) -> ReceiptUpdate:
    return ReceiptUpdate(CONNECTOR, f"up-{message.id}-{seq}", status, error, NOW + 5)


async def test_a_message_becomes_final_with_its_last_part() -> None:
    r = Recording()
    message = await r.sent(parts=2)

    await r.recorder.record([receipt(message, 1, PartStatus.DELIVERED)])
    assert (await r.now(message)).status is Status.SENT, "one part is still open"
    await r.recorder.record([receipt(message, 2, PartStatus.UNDELIVERED, "absent")])

    final = await r.now(message)
    assert (final.status, final.error, final.done_at) == (Status.UNDELIVERED, "absent", NOW + 5)
    parts = await r.store.parts(message.id)
    assert [p.status for p in parts] == [PartStatus.DELIVERED, PartStatus.UNDELIVERED]
    assert (r.stats.receipts, r.stats.final) == (2, {"undelivered": 1})
    assert r.recorder.unmatched == 0


async def test_callers_arriving_together_share_one_transaction() -> None:
    r = Recording()
    first, second = await r.sent(), await r.sent()

    await asyncio.gather(
        r.recorder.record([receipt(first, 1, PartStatus.DELIVERED)]),
        r.recorder.record([receipt(second, 1, PartStatus.EXPIRED)]),
    )

    assert r.store.transactions == 1
    assert [(await r.now(m)).status for m in (first, second)] == [Status.DELIVERED, Status.EXPIRED]


async def test_a_receipt_before_its_send_is_retried_until_it_matches() -> None:
    r = Recording()
    message = await r.claimed()
    early = receipt(message, 1, PartStatus.DELIVERED)

    await r.recorder.record([early])
    assert r.recorder.unmatched == 1
    assert await r.recorder.retry_unmatched() == 0, "its send is not recorded yet"
    assert r.recorder.unmatched == 1

    await r.store.record_sends([sent(message)], NOW + 6)
    r.clock.at += UNMATCHED_GIVE_UP - 1
    assert await r.recorder.retry_unmatched() == 1
    assert r.recorder.unmatched == 0
    assert (await r.now(message)).status is Status.DELIVERED


async def test_the_answer_to_an_early_receipt_waits_until_its_send_is_recorded() -> None:
    r = Recording(hold=UNMATCHED_HOLD)
    message = await r.claimed()
    answered = asyncio.create_task(r.recorder.record([receipt(message, 1, PartStatus.DELIVERED)]))
    while r.store.transactions < 3 and not answered.done():  # tried, and tried again
        await asyncio.sleep(0.01)
    assert not answered.done(), "answered while the receipt was only in memory"

    await r.store.record_sends([sent(message)], NOW + 6)
    await asyncio.wait_for(answered, UNMATCHED_HOLD * 10)
    assert (await r.now(message)).status is Status.DELIVERED
    assert r.recorder.unmatched == 0


async def test_an_early_receipt_is_parked_once_its_answer_waited_the_hold() -> None:
    r = Recording(hold=0.03)
    message = await r.claimed()
    await r.recorder.record([receipt(message, 1, PartStatus.DELIVERED)])
    assert r.store.transactions == 4, "the first try and one every 10 ms of the hold"
    assert r.recorder.unmatched == 1
    assert (await r.now(message)).status is Status.SENDING


async def test_an_unmatched_receipt_is_dropped_once_too_old() -> None:
    r = Recording()
    message = await r.claimed()
    await r.recorder.record([receipt(message, 1, PartStatus.DELIVERED)])
    tries = r.store.transactions

    r.clock.at += UNMATCHED_GIVE_UP
    assert await r.recorder.retry_unmatched() == 0
    assert r.recorder.unmatched == 0
    assert r.store.transactions == tries, "dropped without another try"
    await r.store.record_sends([sent(message)], NOW + 200)
    assert await r.recorder.retry_unmatched() == 0
    assert (await r.now(message)).status is Status.SENT


async def test_a_final_message_with_a_callback_url_gets_an_outbox_row() -> None:
    r = Recording()
    hooked = await r.sent(callback_url=HOOK)
    quiet = await r.sent()

    await r.recorder.record(
        [receipt(hooked, 1, PartStatus.DELIVERED), receipt(quiet, 1, PartStatus.DELIVERED)]
    )

    (note,) = await r.store.due_notifications(NOW + 5, 10)
    assert (note.message_id, note.url, note.attempts) == (hooked.id, HOOK, 0)
    assert note.message is not None and note.message.status is Status.DELIVERED


async def test_an_open_part_writes_no_outbox_row() -> None:
    r = Recording()
    message = await r.sent(parts=2, callback_url=HOOK)
    await r.recorder.record([receipt(message, 1, PartStatus.DELIVERED)])
    assert await r.store.due_notifications(NOW + 5, 10) == []
