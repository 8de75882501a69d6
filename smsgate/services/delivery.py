"""The delivery use case: apply receipts to parts and messages; expire what never ends.

Receipts from all upstreams meet in `ReceiptRecorder.record`; `Housekeeper` runs the
periodic jobs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field, replace

from smsgate.core.storable import storable
from smsgate.services.clock import run_every
from smsgate.services.counters import Counters
from smsgate.services.ports import AppliedReceipts, Clock, ReceiptUpdate, Store

log = logging.getLogger(__name__)

UNMATCHED_RETRY = 0.5
UNMATCHED_GIVE_UP = 120.0
# Seconds the answer to a receipt that overtook its submit's record waits for it: a node
# that dies meanwhile has not answered, so the operator delivers it again elsewhere.
UNMATCHED_HOLD = 5.0
# Seconds since this node last failed to renew its lease before it takes the claims of
# nodes whose lease ran out (services.nodes.NodeService.steady).
TAKE_OVER_AFTER = 5.0


@dataclass(slots=True)
class _Waiting:
    receipts: Sequence[ReceiptUpdate]
    done: asyncio.Future[list[ReceiptUpdate]]  # those that matched no part


@dataclass(eq=False, slots=True)
class ReceiptRecorder:
    """Callers arriving together share one store transaction, and each is answered after
    it committed (an SMPP connector acknowledges a deliver_sm only then). A receipt that
    overtakes the recording of its own submit is tried again every `retry` seconds while
    its caller waits, for `hold` seconds, then parked in memory and tried for a while
    before it is dropped; one whose upstream id no store holds (U+0000) matches no part
    and is dropped before it can fail the others."""

    store: Store
    clock: Clock
    stats: Counters
    _: KW_ONLY
    hold: float = UNMATCHED_HOLD
    retry: float = UNMATCHED_RETRY
    _queue: list[_Waiting] = field(init=False, default_factory=list)
    _flushing: asyncio.Task[None] | None = field(init=False, default=None)
    _unmatched: list[tuple[float, ReceiptUpdate]] = field(init=False, default_factory=list)

    async def record(self, receipts: Sequence[ReceiptUpdate]) -> None:
        """Store `receipts`; returns once they are committed, or once those that match
        no part yet have waited `hold` seconds for it and are parked as unmatched."""
        left = [r for r in map(_storable, receipts) if r is not None]
        waited = 0.0
        while left:
            left = await self._apply(left)
            if not left or waited >= self.hold:
                break
            await asyncio.sleep(self.retry)
            waited += self.retry
        if left:
            now = self.clock.now()
            self._unmatched.extend((now, r) for r in left)

    async def _apply(self, receipts: Sequence[ReceiptUpdate]) -> list[ReceiptUpdate]:
        """Apply `receipts` in the next shared transaction; those that matched no part."""
        waiting = _Waiting(receipts, asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return await waiting.done

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            receipts = [r for w in batch for r in w.receipts]
            try:
                applied = await self.store.apply_receipts(receipts)
            except Exception as exc:
                for w in batch:
                    if not w.done.done():
                        w.done.set_exception(exc)
                continue
            self._count(applied, len(receipts))
            unmatched = {id(r) for r in applied.unmatched}
            for w in batch:
                if not w.done.done():
                    w.done.set_result([r for r in w.receipts if id(r) in unmatched])

    async def retry_unmatched(self) -> int:
        """Try parked receipts again; drop those older than UNMATCHED_GIVE_UP seconds."""
        if not self._unmatched:
            return 0
        parked, self._unmatched = self._unmatched, []
        now = self.clock.now()
        alive = []
        for seen, receipt in parked:
            if now - seen < UNMATCHED_GIVE_UP:
                alive.append((seen, receipt))
            else:
                log.warning(
                    "no part for receipt %s from %s", receipt.upstream_id, receipt.connector
                )
        if not alive:
            return 0
        first_seen = {id(r): t for t, r in alive}
        applied = await self.store.apply_receipts([r for _, r in alive])
        self._count(applied, len(alive))
        self._unmatched.extend((first_seen[id(r)], r) for r in applied.unmatched)
        return len(alive) - len(applied.unmatched)

    def _count(self, applied: AppliedReceipts, total: int) -> None:
        self.stats.add("receipts", total - len(applied.unmatched) - applied.repeated)
        for status, count in applied.finished.items():
            self.stats.count_final(status.value, count)

    @property
    def unmatched(self) -> int:
        return len(self._unmatched)


def _storable(receipt: ReceiptUpdate) -> ReceiptUpdate | None:
    """The receipt as the store can hold it: an upstream id with U+0000 or a lone surrogate
    can be no part's (ours come from C-octet strings), and an error text is escaped."""
    if not storable(receipt.upstream_id):
        log.warning(
            "receipt from %s with an impossible id %r", receipt.connector, receipt.upstream_id
        )
        return None
    if receipt.error is not None and not storable(receipt.error):
        return replace(receipt, error=ascii(receipt.error)[1:-1])
    return receipt


# Rows of `messages` from which a lookup by id is planned by index and stays so as the
# table grows; until they have been counted the housekeeper has the planner count them.
YOUNG_ROWS = 5_000


@dataclass(eq=False, slots=True)
class Housekeeper:
    """Periodic jobs: expire messages past validity, requeue crashed claims, retry receipts,
    and give a young database's planner its statistics."""

    store: Store
    receipts: ReceiptRecorder
    clock: Clock
    stats: Counters
    _: KW_ONLY
    interval: float = 1.0
    claim_timeout: float = 300.0
    node: str | None = None  # this node's id: only its own and dead nodes' claims are taken
    # True when no renewal of this node's lease failed in the given seconds: a dead
    # node's claims are taken only then (NodeService.steady)
    steady: Callable[[float], bool] | None = None
    _grown: bool = field(init=False, default=False)  # messages has its statistics

    async def recover(self) -> int:
        """At start-up: messages this node's previous process (or a dead node) left
        `sending` go back to the queue."""
        return await self.store.recover_sending(self.clock.now() + 1, self.node)

    async def run_once(self) -> None:
        now = self.clock.now()
        expired = await self.store.expire(now, 1000)
        if expired:
            self.stats.count_final("expired", expired)
        # After an outage of the store every lease may have run out: wait until the
        # live nodes have renewed theirs before taking a node's claims as a dead one's.
        orphans = self.steady is None or self.steady(TAKE_OVER_AFTER)
        await self.store.recover_sending(now - self.claim_timeout, self.node, orphans=orphans)
        await self.receipts.retry_unmatched()
        if not self._grown:
            self._grown = await self.store.analyze_young_tables(YOUNG_ROWS)

    async def run(self) -> None:
        await run_every(self.interval, self.run_once, log, "housekeeping failed")
