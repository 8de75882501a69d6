"""The dispatch use case: claim due messages, hand them to an upstream, record the outcome.

Each upstream has a `Lane`, so a slow or hung operator holds up only its own messages;
nothing is sent before its row was committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Collection, Coroutine, Hashable, Sequence
from dataclasses import KW_ONLY, dataclass, field, replace
from typing import Any, Protocol

from smsgate.core.messages import Message, PartStatus, Status
from smsgate.services.counters import Counters
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

log = logging.getLogger(__name__)


class RouteChoice(Protocol):
    """How the Dispatcher chooses the upstream of a message (None: it has no route);
    `routing.Router` is the one a gateway uses."""

    def __call__(self, message: Message) -> Upstream | None: ...

    def all_ready(self) -> bool:
        """Whether every upstream a message could be routed to can take it now."""
        ...

    def upstreams(self) -> Collection[Upstream]:
        """Every upstream a message could be routed to now."""
        ...

    def state(self) -> Hashable:
        """Changes whenever a message's route could change."""
        ...


MAX_ATTEMPTS = 8
RELEASE_BATCH = 5000
BASE_BACKOFF = 2.0
MAX_BACKOFF = 300.0
# Seconds a stopping dispatcher lets the sends in flight end, and then their outcomes
# be recorded: a send cut short is queued again on the next start, so sent twice.
STOP_GRACE = 5.0
# Seconds between the tries of recording outcomes while the store fails (a lost
# connection): a message sent but not recorded would be sent again after claim_timeout.
RECORD_RETRIES = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


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


def track(tasks: set[asyncio.Task[None]], job: Coroutine[Any, Any, None]) -> None:
    """Run `job` as a task kept in `tasks` until it ends."""
    task = asyncio.create_task(job)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


class Lane:
    """One upstream's sends: how many are in flight, and the outcomes not yet recorded."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream
        self.in_flight = 0
        self.held = False  # messages wait in the store, held for room on this lane
        self.outcomes: list[SendOutcome] = []
        self.recording = False

    @property
    def room(self) -> int:
        return self.upstream.window - self.in_flight


@dataclass(eq=False, slots=True)
class Dispatcher:
    """Moves due messages from the store to upstreams until stopped.

    A lane has at most its upstream's `window` messages in flight; outcomes that finish
    while the lane's last record runs share the next transaction. A message whose
    upstream is not ready (no bind), or whose lane is full, is held by the claim itself:
    it stays queued, spends no attempt, is never seen `sending`, and does not stand in
    the way of messages behind it. Held messages are released when the routes or the set
    of bound upstreams change (RELEASE_BATCH a round), or as their lane gets room, and
    are routed again in their old order.
    """

    store: Store
    route: RouteChoice
    clock: Clock
    stats: Counters
    _: KW_ONLY
    batch_size: int = 500
    idle_poll: float = 0.2
    gather: float = 0.003
    plans: RoutePlans | None = None
    node: str | None = None  # the node id its claims carry (services.nodes)
    # called after a claim held messages for an upstream with no bind on this node, so
    # that the nodes that bind it release them (`held_elsewhere`)
    announce_held: Callable[[], None] | None = None
    _wake: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    # None: not looked yet, so held messages from an earlier run are released too.
    _routing: Hashable | None = field(init=False, default=None)
    _releasing: bool = field(init=False, default=False)
    _ready: set[str] = field(init=False, default_factory=set)  # bound at the last change
    _paced: set[str] = field(init=False, default_factory=set)  # ... and not at the one before
    _lanes: dict[str, Lane] = field(init=False, default_factory=dict)
    _sends: set[asyncio.Task[None]] = field(init=False, default_factory=set)
    _records: set[asyncio.Task[None]] = field(init=False, default_factory=set)
    # Whether the last claim took fewer than a batch for want of room.
    _short_of_room: bool = field(init=False, default=False)
    _last_claim: float = field(init=False, default=0.0)  # each claim's time is its own
    _unsure: list[float] = field(init=False, default_factory=list)  # claims that failed

    def wake(self) -> None:
        """Called after messages were accepted, so they go out without waiting for a poll."""
        self._wake.set()

    async def run(self) -> None:
        try:
            while True:
                # Cleared before the round: a wake during it starts the next one at once.
                self._wake.clear()
                try:
                    handled = await self.dispatch_once()
                except Exception:
                    log.exception("dispatch round failed")
                    handled = 0
                if handled < self.batch_size:
                    # Not wait_for: on 3.11 it drops a cancel that comes with a wake.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.idle_poll):
                            await self._wake.wait()
                    # The messages accepted just after the one that woke us join its round:
                    # fewer, larger rounds, each a claim and a record transaction.
                    await asyncio.sleep(self.gather)
                else:
                    # A round on SQLite need not suspend once: without this, rounds back to
                    # back would starve the loop's other tasks (submit_sm_resp reads, lease
                    # renewals) until the bind fence dropped the binds.
                    await asyncio.sleep(0)
        finally:
            await self._stop_sends()

    async def dispatch_once(self) -> int:
        """Release held messages (routing changed, or their lane has room), then claim
        what the lanes have room for and start sending it; returns how many messages
        the round handled. The sends go on after it returns (`drain` waits for them)."""
        released = await self._release_held() + await self._release_for_room()
        lanes = [self._lane(upstream) for upstream in self.route.upstreams()]
        room = sum(max(0, lane.room) for lane in lanes) if lanes else self.batch_size
        limit = min(self.batch_size, room)
        self._short_of_room = limit < self.batch_size
        if limit <= 0:
            return released
        held: set[str] = set()
        unbound: set[str] = set()
        taken: dict[str, int] = {}
        routed: dict[str, Upstream | None] = {}

        def hold(message: Message) -> str | None:
            upstream = routed[message.id] = self.route(message)
            if upstream is None:
                return None
            name = upstream.name
            if upstream.ready():
                lane = self._lane(upstream)
                if taken.get(name, 0) < lane.room:
                    taken[name] = taken.get(name, 0) + 1
                    return None
                lane.held = True
            else:
                unbound.add(name)
            held.add(message.id)
            return name

        # Asking every message only while an upstream has no bind or a lane could fill
        # keeps the common claim free of routing work inside its transaction.
        check = not self.route.all_ready() or any(lane.room < limit for lane in lanes)
        claimed = await self._claim(limit, hold if check else None)
        if unbound and self.announce_held is not None:
            self.announce_held()
        if claimed and self.plans is not None:
            await self.plans.fresh()
        no_route = []
        for message in claimed:
            upstream = routed[message.id] if check else self.route(message)
            if upstream is None:
                no_route.append(unroutable(message))
            else:
                self._start(self._lane(upstream), message)
        if no_route:
            await self.store.record_sends(no_route, self.clock.now())
            self._count(no_route)
        return max(released, len(claimed) + len(held))

    async def _claim(
        self, limit: int, hold: Callable[[Message], str | None] | None
    ) -> list[Message]:
        """Claim with a time of its own. A claim that fails may have committed (its COMMIT
        was lost): what it took is queued again by that time before the next claim."""
        while self._unsure:
            released = await self.store.release_claim(self._unsure[0], self.node or "")
            if released:
                log.warning("queued again %d messages of a claim whose COMMIT was lost", released)
            self._unsure.pop(0)
        now = self._last_claim = max(self.clock.now(), math.nextafter(self._last_claim, math.inf))
        try:
            return await self.store.claim(now, limit, hold, self.node)
        except Exception:
            if self.node is not None:
                self._unsure.append(now)
            raise

    def held_elsewhere(self) -> None:
        """Another node held messages it cannot send: each lane with a bind here
        releases as many held messages of its upstream as it has room for."""
        for lane in self._lanes.values():
            if lane.upstream.ready():
                lane.held = True
        self._wake.set()

    async def drain(self) -> None:
        """Wait until every send started so far has ended and its outcome is recorded."""
        while self._sends or self._records:
            await asyncio.gather(*self._sends, *self._records, return_exceptions=True)

    async def _release_held(self) -> int:
        """After the routes or the bound upstreams changed, every held message is routed
        again, RELEASE_BATCH a round; those of an upstream bound since the last change
        only as its lane has room (they waited for it, and most would be held again)."""
        routing = self.route.state()
        if routing != self._routing:
            self._routing = routing
            self._releasing = True
            ready = [upstream for upstream in self.route.upstreams() if upstream.ready()]
            paced = [upstream for upstream in ready if upstream.name not in self._ready]
            self._ready = {upstream.name for upstream in ready}
            self._paced = {upstream.name for upstream in paced}
            for upstream in paced:
                self._lane(upstream).held = True
        if not self._releasing:
            return 0
        released = await self.store.release_held(RELEASE_BATCH, exclude=self._paced)
        self._releasing = released == RELEASE_BATCH
        if not self._releasing:
            for name, lane in self._lanes.items():
                lane.held = lane.held and name in self._paced
        return self.batch_size if self._releasing else 0

    async def _release_for_room(self) -> int:
        """As many messages held for a full lane as it now has room for become due."""
        released = 0
        for name, lane in self._lanes.items():
            if lane.held and lane.room > 0:
                wanted = min(lane.room, RELEASE_BATCH)
                count = await self.store.release_held(wanted, name)
                lane.held = count == wanted
                released += count
        return released

    def _lane(self, upstream: Upstream) -> Lane:
        lane = self._lanes.get(upstream.name)
        if lane is None or lane.upstream is not upstream:  # new, or restarted
            held = lane is not None and lane.held
            lane = self._lanes[upstream.name] = Lane(upstream)
            lane.held = held
        return lane

    def _start(self, lane: Lane, message: Message) -> None:
        lane.in_flight += 1
        track(self._sends, self._send(lane, message))

    async def _send(self, lane: Lane, message: Message) -> None:
        upstream = lane.upstream
        stored = message
        if self.plans is not None:
            message = replan(message, self.plans.of_connector(upstream.name))
        try:
            result = await upstream.submit(message)
        except asyncio.CancelledError:
            raise  # stopping: the message stays `sending` and is queued again on start
        except Exception as exc:  # an upstream bug must not lose the message
            log.exception("upstream %s failed on %s", upstream.name, message.id)
            result = UpstreamResult(False, True, (), f"upstream_error: {exc}")
        finally:
            lane.in_flight -= 1
            if self._short_of_room or lane.held:
                self._wake.set()  # the dispatcher waits for this room
        outcome = outcome_for(message, upstream.name, result, self.clock.now())
        if message is not stored:
            m = message
            outcome = replace(outcome, replanned=Replanned(m.encoding, m.concat, m.parts, m.cost))
        lane.outcomes.append(outcome)
        if not lane.recording:
            lane.recording = True
            track(self._records, self._record(lane))

    async def _record(self, lane: Lane) -> None:
        """Record the lane's outcomes; those that end meanwhile go in the next transaction."""
        try:
            while lane.outcomes:
                outcomes, lane.outcomes = lane.outcomes, []
                if await self._record_sends(lane.upstream.name, outcomes):
                    self._count(outcomes)
        finally:
            lane.recording = False

    async def _record_sends(self, name: str, outcomes: Sequence[SendOutcome]) -> bool:
        """Record `outcomes`, again after each pause of RECORD_RETRIES while it fails (an
        outcome recorded already is ignored); False when every try failed: the messages
        stay `sending` and the housekeeper queues them again."""
        for pause in (*RECORD_RETRIES, None):
            try:
                await self.store.record_sends(outcomes, self.clock.now())
            except Exception:
                log.exception("recording %d sends on %s failed", len(outcomes), name)
                if pause is None:
                    return False
                await asyncio.sleep(pause)
            else:
                return True
        return False

    async def _stop_sends(self) -> None:
        """Let the sends in flight end within STOP_GRACE, cancel those still going (their
        messages are queued again on the next start), and let the outcomes be recorded."""
        if self._sends:
            await asyncio.wait(self._sends, timeout=STOP_GRACE)
        for task in self._sends:
            task.cancel()
        await asyncio.gather(*self._sends, return_exceptions=True)
        if self._records:
            await asyncio.wait(self._records, timeout=STOP_GRACE)

    def _count(self, outcomes: Sequence[SendOutcome]) -> None:
        for outcome in outcomes:
            if outcome.status is Status.SENT:
                self.stats.add("sent")
            elif outcome.status is Status.QUEUED:
                self.stats.add("retried")
            else:
                self.stats.count_final(outcome.status.value)
