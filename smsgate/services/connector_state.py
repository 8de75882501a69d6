"""The live state of the connectors, shared by every process and node through the store:
the core of a `dispatch` node publishes, every connector sync (2 s), one `ConnectorState`
per running connector (binds up and configured, window in use, throughput, recent
errors); any process reads the rows, ignoring those not refreshed for STALE_SECONDS (a
node that stopped)."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from smsgate.services.ports import Clock, Upstream

log = logging.getLogger(__name__)

STALE_SECONDS = 10.0
RECENT_ERRORS = 5
# msg/s is measured over the samples of this many seconds (several publications)
RATE_WINDOW = 10.0


@dataclass(frozen=True, slots=True)
class ConnectorLive:
    """What a running connector reports of itself: `submitted` counts every part it sent
    since it started; `errors` are (time, text), oldest first."""

    binds_up: int
    binds: int
    window_used: int
    window: int
    submitted: int
    errors: tuple[tuple[float, str], ...] = ()


@runtime_checkable
class LiveUpstream(Protocol):
    def live(self) -> ConnectorLive: ...


@dataclass(frozen=True, slots=True)
class ConnectorState:
    """One connector on one node as last published; `rate` is parts sent per second."""

    node_id: str
    connector: str
    binds_up: int
    binds: int
    window_used: int
    window: int
    rate: float
    errors: tuple[tuple[float, str], ...]
    updated_at: float


@runtime_checkable
class ConnectorStateStore(Protocol):
    async def publish_connector_states(self, node_id: str, states: list[ConnectorState]) -> None:
        """Replace every row of `node_id` with `states`."""
        ...

    async def connector_states(self, since: float) -> list[ConnectorState]:
        """The rows updated at or after `since`, by connector and node."""
        ...


def combined(states: list[ConnectorState]) -> dict[str, ConnectorState]:
    """One state per connector: the nodes' binds, windows and rates added up, their
    newest RECENT_ERRORS errors, newest first."""
    merged: dict[str, ConnectorState] = {}
    for s in states:
        was = merged.get(s.connector)
        if was is None:
            merged[s.connector] = s
            continue
        merged[s.connector] = ConnectorState(
            "*",
            s.connector,
            was.binds_up + s.binds_up,
            was.binds + s.binds,
            was.window_used + s.window_used,
            was.window + s.window,
            was.rate + s.rate,
            was.errors + s.errors,
            max(was.updated_at, s.updated_at),
        )
    return {name: _newest_errors(state) for name, state in merged.items()}


def _newest_errors(state: ConnectorState) -> ConnectorState:
    errors = tuple(sorted(state.errors, reverse=True)[:RECENT_ERRORS])
    return ConnectorState(
        state.node_id,
        state.connector,
        state.binds_up,
        state.binds,
        state.window_used,
        state.window,
        state.rate,
        errors,
        state.updated_at,
    )


@dataclass(eq=False, slots=True)
class ConnectorStates:
    """Publishes this node's running connectors (`upstreams`) and reads every node's."""

    store: ConnectorStateStore
    clock: Clock
    node_id: str
    upstreams: Callable[[], Mapping[str, Upstream]] = dict
    # (time, parts sent) samples of the last RATE_WINDOW seconds, per connector
    _samples: dict[str, deque[tuple[float, int]]] = field(default_factory=dict, init=False)

    async def publish(self, now: float | None = None) -> None:
        """Publish the running connectors' state stamped `now` (the clock's by default)."""
        now = self.clock.now() if now is None else now
        states = []
        samples: dict[str, deque[tuple[float, int]]] = {}
        for name, upstream in sorted(self.upstreams().items()):
            if not isinstance(upstream, LiveUpstream):
                continue
            live = upstream.live()
            window = samples[name] = self._samples.get(name, deque())
            while window and (window[0][0] < now - RATE_WINDOW or window[0][1] > live.submitted):
                window.popleft()  # too old, or counted by an upstream started since
            at, sent = window[0] if window else (now, live.submitted)
            rate = (live.submitted - sent) / (now - at) if now > at else 0.0
            window.append((now, live.submitted))
            states.append(
                ConnectorState(
                    self.node_id,
                    name,
                    live.binds_up,
                    live.binds,
                    live.window_used,
                    live.window,
                    round(rate, 2),
                    live.errors[-RECENT_ERRORS:],
                    now,
                )
            )
        self._samples = samples
        try:
            await self.store.publish_connector_states(self.node_id, states)
        except Exception:  # the state is for people to look at: the sync goes on
            log.exception("connector state not published")

    async def leave(self) -> None:
        await self.store.publish_connector_states(self.node_id, [])

    async def current(self) -> dict[str, ConnectorState]:
        """Each connector's state over the nodes that published it lately."""
        since = self.clock.now() - STALE_SECONDS
        return combined(await self.store.connector_states(since))
