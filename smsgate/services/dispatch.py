"""The dispatch use case: claim due messages, hand them to an upstream, record the outcome.

Messages are claimed in batches and handed over concurrently; the outcomes of a batch
are recorded in one transaction. Nothing is sent before its row was committed. A
message whose upstream is not ready (no route to it has a bind) is held by the claim
itself: it stays queued, spends no attempt, is never seen `sending`, and no longer
stands in the way of messages behind it. Whenever the routes or the set of bound
upstreams change, the held messages are released (RELEASE_BATCH a round) and routed
again, so a backlog waits for its operator instead of failing, in its old order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Hashable, Sequence
from dataclasses import replace
from typing import Protocol

from smsgate.core.messages import Message, PartStatus, Status
from smsgate.services.plans import RoutePlans, replan
from smsgate.services.ports import (
    Clock,
    Replanned,
    SendOutcome,
    SentPart,
    Store,
    Upstream,
    UpstreamResult,
)
from smsgate.services.stats import Stats

log = logging.getLogger(__name__)


class Router(Protocol):
    """Chooses the upstream of a message; None when it has no route."""

    def __call__(self, message: Message) -> Upstream | None: ...

    def all_ready(self) -> bool:
        """Whether every upstream a message could be routed to can take it now."""
        ...

    def state(self) -> Hashable:
        """Changes whenever a message's route could change."""
        ...


MAX_ATTEMPTS = 8
RELEASE_BATCH = 5000
BASE_BACKOFF = 2.0
MAX_BACKOFF = 300.0


def retry_delay(attempts: int) -> float:
    """Seconds before the next try after `attempts` tries: 2, 4, 8 ... capped at 5 min."""
    return float(min(MAX_BACKOFF, BASE_BACKOFF * 2 ** max(0, attempts - 1)))


def outcome_for(message: Message, upstream: str, result: UpstreamResult, now: float) -> SendOutcome:
    """Turn an upstream's answer into what the store records and refunds."""
    if result.accepted:
        parts = tuple(SentPart(p.seq, p.upstream_id, PartStatus.SENT, None) for p in result.parts)
        return SendOutcome(message.id, Status.SENT, upstream, parts, None, 0, None)
    if result.temporary and message.attempts < MAX_ATTEMPTS:
        retry_at = now + retry_delay(message.attempts)
        return SendOutcome(message.id, Status.QUEUED, upstream, (), result.error, 0, retry_at)
    sent = tuple(
        SentPart(p.seq, p.upstream_id, PartStatus.SENT, None)
        for p in result.parts
        if p.upstream_id is not None
    )
    rejected = tuple(
        SentPart(seq, None, PartStatus.REJECTED, result.error)
        for seq in range(len(sent) + 1, message.parts + 1)
    )
    refund = message.cost * len(rejected) // message.parts if message.parts else 0
    status = Status.REJECTED if not result.temporary else Status.FAILED
    return SendOutcome(message.id, status, upstream, sent + rejected, result.error, refund, None)


def unroutable(message: Message) -> SendOutcome:
    parts = tuple(
        SentPart(seq, None, PartStatus.REJECTED, "no_route") for seq in range(1, message.parts + 1)
    )
    return SendOutcome(message.id, Status.FAILED, None, parts, "no_route", message.cost, None)


class Dispatcher:
    """Moves due messages from the store to upstreams until stopped."""

    def __init__(
        self,
        store: Store,
        route: Router,
        clock: Clock,
        stats: Stats,
        *,
        batch_size: int = 500,
        idle_poll: float = 0.2,
        gather: float = 0.003,
        plans: RoutePlans | None = None,
    ) -> None:
        self._store = store
        self._route = route
        self._clock = clock
        self._stats = stats
        self._batch_size = batch_size
        self._idle_poll = idle_poll
        self._gather = gather
        self._plans = plans
        self._wake = asyncio.Event()
        # None: not looked yet, so held messages from an earlier run are released too.
        self._routing: Hashable | None = None
        self._releasing = False

    def wake(self) -> None:
        """Called after messages were accepted, so they go out without waiting for a poll."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                handled = await self.dispatch_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatch round failed")
                handled = 0
            if handled < self._batch_size:
                self._wake.clear()
                # Not wait_for: on 3.11 it drops a cancel that comes with a wake.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._idle_poll):
                        await self._wake.wait()
                # The messages accepted just after the one that woke us join its round:
                # fewer, larger rounds, each a claim and a record transaction.
                await asyncio.sleep(self._gather)

    async def dispatch_once(self) -> int:
        """Release a share of the held messages if routing changed, then claim one batch,
        send it and record the outcomes; returns how many messages the round handled."""
        released = await self._release_held()
        held: set[str] = set()

        def hold(message: Message) -> str | None:
            upstream = self._route(message)
            if upstream is None or upstream.ready():
                return None
            held.add(message.id)
            return upstream.name

        # Asking every message only while some upstream has no bind keeps the common
        # claim free of routing work inside its transaction.
        waits = not self._route.all_ready()
        claimed = await self._store.claim(
            self._clock.now(), self._batch_size, hold if waits else None
        )
        if claimed:
            if self._plans is not None:
                await self._plans.fresh()
            outcomes = await asyncio.gather(*(self._send(m, self._route(m)) for m in claimed))
            await self._store.record_sends(outcomes, self._clock.now())
            self._count(outcomes)
        return max(released, len(claimed) + len(held))

    async def _release_held(self) -> int:
        routing = self._route.state()
        if routing != self._routing:
            self._routing = routing
            self._releasing = True
        if not self._releasing:
            return 0
        released = await self._store.release_held(RELEASE_BATCH)
        self._releasing = released == RELEASE_BATCH
        return self._batch_size if self._releasing else 0

    async def _send(self, message: Message, upstream: Upstream | None) -> SendOutcome:
        if upstream is None:
            return unroutable(message)
        stored = message
        if self._plans is not None:
            message = replan(message, self._plans.of_connector(upstream.name))
        try:
            result = await upstream.submit(message)
        except Exception as exc:  # an upstream bug must not lose the message
            log.exception("upstream %s failed on %s", upstream.name, message.id)
            result = UpstreamResult(False, True, (), f"upstream_error: {exc}")
        outcome = outcome_for(message, upstream.name, result, self._clock.now())
        if message is stored:
            return outcome
        m = message
        return replace(outcome, replanned=Replanned(m.encoding, m.concat, m.parts, m.cost))

    def _count(self, outcomes: Sequence[SendOutcome]) -> None:
        for outcome in outcomes:
            if outcome.status is Status.SENT:
                self._stats.add("sent")
            elif outcome.status is Status.QUEUED:
                self._stats.add("retried")
            else:
                self._stats.count_final(outcome.status.value)
