"""Bind slots: a connector with `binds` N has slots 0..N-1, each one bind, held by at most
one node at a time for a lease on the database's clock. `BindOwnership` claims, renews
and gives away this node's slots so that the live nodes share each connector's binds,
and opens a bind only while it holds its slot (closing it before letting the slot go).
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Protocol, runtime_checkable

from smsgate.services.ports import Upstream

log = logging.getLogger(__name__)

SLOT_LEASE = 6.0  # seconds; a dead node's binds move within it (plus one round)
ROUND = 1.0  # seconds between rounds: renew, claim, give away
FENCE_MARGIN = 2.0  # a node that could not renew drops its binds this long before expiry
GRACE = 3.0  # a slot free this long may be taken by any node, beyond its share
GIVE_AWAY_PAUSE = 30.0  # after giving slots of a connector away, keep the rest this long
# A node held messages for a connector it has no bind of: the nodes that bind it release them.
HELD = "smsgate_held"
SlotKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Slot:
    """One bind of a connector; `lease_until` on the database's clock (a free slot: the
    time it was let go), `bound` as its holder last reported it."""

    connector: str
    slot: int
    node_id: str | None
    lease_until: float
    bound: bool


@dataclass(frozen=True, slots=True)
class SlotView:
    """What a round saw: the database's now, the live binding nodes (sorted), and every
    slot of the connectors asked about."""

    now: float
    members: tuple[str, ...]
    slots: tuple[Slot, ...]


@runtime_checkable
class SlotStore(Protocol):
    async def renew_slots(
        self,
        node_id: str,
        binds: Mapping[str, int],
        bound: Collection[SlotKey],
        lease: float,
    ) -> SlotView:
        """One transaction: the node is a live binding node for `lease` more seconds;
        slots 0..N-1 of each connector in `binds` exist (free slots numbered N or more
        are removed); the node's slots of those connectors whose lease has not run out
        get `lease` more seconds and their `bound` flag (in `bound` or not); returns the
        view after it."""
        ...

    async def claim_slots(
        self, node_id: str, connector: str, slots: Sequence[int], lease: float
    ) -> list[int]:
        """Take each of `slots` that is free or whose lease ran out, for `lease` seconds;
        returns those taken. Two nodes never both take a slot."""
        ...

    async def release_slots(self, node_id: str, connector: str, slots: Sequence[int]) -> None:
        """Let go of those of `slots` the node holds (its binds are closed)."""
        ...

    async def leave_slots(self, node_id: str) -> None:
        """Let go of every slot of the node, which is no longer a binding node."""
        ...


@runtime_checkable
class SlottedUpstream(Protocol):
    """An upstream whose binds open and close one slot at a time."""

    name: str

    def bind_slots(self) -> int:
        """How many binds (slots) its settings allow in all."""
        ...

    def defer_binds(self) -> None:
        """Called before `start`: bind only the slots opened with `open_slot`."""
        ...

    def open_slot(self, slot: int) -> None:
        """Start binding slot `slot` in the background (nothing if open or stopped)."""
        ...

    def slot_bound(self, slot: int) -> bool: ...

    async def close_slot(self, slot: int) -> None:
        """Unbind slot `slot` after what is in flight; returns once it is closed."""
        ...

    def drop_slots(self, grace: float) -> None:
        """Stop sending on every bind at once; each is closed within `grace` seconds (the
        lease may be lost)."""
        ...


def share(connector: str, binds: int, members: Sequence[str], node_id: str) -> int:
    """How many of the connector's slots this node should hold: floor or ceil of
    binds / nodes, the extra ones going to nodes in an order that turns with the
    connector's name, so that the shares add up to `binds`."""
    if node_id not in members:
        return binds if not members else 0
    count = len(members)
    turn = (members.index(node_id) - zlib.crc32(connector.encode())) % count
    return binds // count + (1 if turn < binds % count else 0)


@dataclass(eq=False, slots=True)
class _Open:
    upstream: SlottedUpstream
    slots: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class _Renewal:
    view: SlotView
    started: float  # loop time the renewal began: its leases last at least `lease` from it
    running: Mapping[str, SlottedUpstream]


@dataclass(eq=False, slots=True)
class BindOwnership:
    """Holds this node's share of every slotted connector's binds. Every `round_every`
    seconds it renews the held slots (a loop of its own, so a slow unbind never delays
    a renewal); after each renewal it lets go of lost slots, gives away those over the
    node's share (bind closed first), claims free or expired ones up to it (and any left
    free for `grace`), and opens the binds of the slots held. If no renewal succeeded
    for `lease - margin` seconds, every bind is dropped before the lease can run out."""

    store: SlotStore
    node_id: str
    upstreams: Callable[[], Mapping[str, Upstream]]
    _: KW_ONLY
    lease: float = SLOT_LEASE
    round_every: float = ROUND
    margin: float = FENCE_MARGIN
    grace: float = GRACE
    pause: float = GIVE_AWAY_PAUSE
    # called after every renewal while other nodes bind too (Dispatcher.held_elsewhere)
    on_shared: Callable[[], None] | None = None
    _open: dict[str, _Open] = field(init=False, default_factory=dict)
    _elsewhere: frozenset[str] = field(init=False, default=frozenset())
    _gave_away: dict[str, float] = field(init=False, default_factory=dict)
    _fence: asyncio.TimerHandle | None = field(init=False, default=None)
    _deadline: float = field(init=False, default=0.0)  # binds may be open until then
    _renewal: _Renewal | None = field(init=False, default=None)
    _renewed: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    _settled: float = field(init=False, default=0.0)  # when the last balancing ended

    def bound_elsewhere(self, connector: str) -> bool:
        """Whether another live node reported a bound slot of `connector`."""
        return connector in self._elsewhere

    def held(self) -> dict[str, set[int]]:
        """The slots whose binds this node has open, by connector."""
        return {name: set(o.slots) for name, o in self._open.items() if o.slots}

    async def run(self) -> None:
        renewing = asyncio.create_task(self._keep_renewing())
        try:
            while True:
                await self._renewed.wait()
                self._renewed.clear()
                try:
                    await self.balance()
                except Exception:
                    log.exception("bind slots: balancing failed")
        finally:
            renewing.cancel()

    async def round(self) -> None:
        """One renewal and the balancing after it."""
        await self.renew()
        await self.balance()

    async def _keep_renewing(self) -> None:
        while True:
            try:
                await self.renew()
            except Exception:
                log.exception("bind slots: renewal failed")
            await asyncio.sleep(self.round_every)

    async def renew(self) -> None:
        running = {
            name: up for name, up in self.upstreams().items() if isinstance(up, SlottedUpstream)
        }
        binds = {name: up.bind_slots() for name, up in running.items()}
        bound = [
            (name, k) for name, o in self._open.items() for k in o.slots if o.upstream.slot_bound(k)
        ]
        started = asyncio.get_running_loop().time()
        view = await self.store.renew_slots(self.node_id, binds, bound, self.lease)
        self._arm_fence(started + self.lease - self.margin)
        self._renewal = _Renewal(view, started, running)
        self._renewed.set()
        self._elsewhere = frozenset(
            s.connector
            for s in view.slots
            if s.bound
            and s.node_id not in (None, self.node_id)
            and s.lease_until >= view.now
            and s.node_id in view.members
        )
        if self.on_shared is not None and len(view.members) > 1:
            self.on_shared()

    async def balance(self) -> None:
        """Act on the last renewal, if it began after the last balancing ended (an older
        one may still show slots since let go)."""
        renewal = self._renewal
        if renewal is None or renewal.started < self._settled:
            return
        try:
            await self._forget_stopped()
            current: Mapping[str, object] = self.upstreams()
            for name, upstream in renewal.running.items():
                if current.get(name) is upstream:
                    await self._balance(name, upstream, renewal)
        finally:
            self._settled = asyncio.get_running_loop().time()

    async def leave(self) -> None:
        """Close every bind this node holds, then let their slots go."""
        if self._fence is not None:
            self._fence.cancel()
        for held in list(self._open.values()):
            for k in sorted(held.slots):
                await held.upstream.close_slot(k)
        self._open.clear()
        await self.store.leave_slots(self.node_id)

    async def _forget_stopped(self) -> None:
        """Slots opened on an upstream that stopped or was replaced: closed, let go."""
        running: Mapping[str, object] = self.upstreams()
        for name, held in list(self._open.items()):
            if running.get(name) is held.upstream:
                continue
            for k in sorted(held.slots):
                await held.upstream.close_slot(k)
            del self._open[name]
            if held.slots:
                await self.store.release_slots(self.node_id, name, sorted(held.slots))

    async def _balance(self, name: str, upstream: SlottedUpstream, renewal: _Renewal) -> None:
        view, started, binds = renewal.view, renewal.started, upstream.bind_slots()
        slots = [s for s in view.slots if s.connector == name and s.slot < binds]
        mine = {s.slot for s in slots if s.node_id == self.node_id and s.lease_until >= view.now}
        held = self._open.setdefault(name, _Open(upstream))
        for k in sorted(held.slots - mine):  # lease lost: nobody else may bind it yet
            log.warning("connector %s: slot %d lost; closing its bind", name, k)
            await upstream.close_slot(k)
            held.slots.discard(k)
        target = share(name, binds, view.members, self.node_id)
        extra = len(mine) - target
        others_short = any(
            sum(1 for s in slots if s.node_id == m and s.lease_until >= view.now)
            < share(name, binds, view.members, m)
            for m in view.members
            if m != self.node_id
        )
        if extra > 0 and others_short and started >= self._gave_away.get(name, 0.0):
            given = sorted(mine)[-extra:]
            for k in given:
                if k in held.slots:
                    await upstream.close_slot(k)
                    held.slots.discard(k)
            await self.store.release_slots(self.node_id, name, given)
            mine -= set(given)
            self._gave_away[name] = started + self.pause
            log.info("connector %s: gave slots %s away", name, given)
        free = [s for s in slots if s.node_id is None or s.lease_until < view.now]
        wanted = [s.slot for s in free][: max(0, target - len(mine))]
        wanted += [
            s.slot for s in free if s.slot not in wanted and s.lease_until < view.now - self.grace
        ]
        if wanted:
            mine |= set(await self.store.claim_slots(self.node_id, name, wanted, self.lease))
        if asyncio.get_running_loop().time() >= self._deadline:
            return  # the renewal is too old to open binds on
        for k in sorted(mine - held.slots):
            upstream.open_slot(k)
            held.slots.add(k)

    def _arm_fence(self, at: float) -> None:
        if self._fence is not None:
            self._fence.cancel()
        self._deadline = at
        self._fence = asyncio.get_running_loop().call_at(at, self._drop_binds)

    def _drop_binds(self) -> None:
        """No renewal in time: drop every bind now, before another node may take its slot."""
        if any(held.slots for held in self._open.values()):
            log.warning("bind slots not renewed in time: dropping this node's binds")
        for held in self._open.values():
            held.upstream.drop_slots(self.margin / 2)
            held.slots.clear()
