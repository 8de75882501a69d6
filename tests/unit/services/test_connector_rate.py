"""A connector's published msg/s: parts sent over the last RATE_WINDOW seconds, so every
publication within it shows a send, and an upstream started again counts afresh."""

from __future__ import annotations

from typing import Any

from smsgate.services.connector_state import (
    RATE_WINDOW,
    ConnectorLive,
    ConnectorState,
    ConnectorStates,
)


class Clock:
    def __init__(self) -> None:
        self.at = 1000.0

    def now(self) -> float:
        return self.at


class Upstream:
    def __init__(self) -> None:
        self.submitted = 0

    def live(self) -> ConnectorLive:
        return ConnectorLive(1, 1, 0, 10, self.submitted)


class Store:
    def __init__(self) -> None:
        self.rows: list[ConnectorState] = []

    async def publish_connector_states(self, node_id: str, states: list[ConnectorState]) -> None:
        self.rows = states

    async def connector_states(self, since: float) -> list[ConnectorState]:
        return self.rows


async def test_the_rate_covers_the_window_not_the_last_publication() -> None:
    clock, store, op = Clock(), Store(), Upstream()
    upstreams: dict[str, Any] = {"op": op}
    states = ConnectorStates(store, clock, "n1", lambda: upstreams)

    async def rate_at(at: float) -> float:
        clock.at = at
        await states.publish()
        return store.rows[0].rate

    assert await rate_at(1000.0) == 0.0
    op.submitted = 20
    assert await rate_at(1002.0) == 10.0  # 20 parts in 2 s
    assert await rate_at(1004.0) == 5.0  # still seen: 20 parts in 4 s
    assert await rate_at(1000.0 + RATE_WINDOW + 3) == 0.0  # the send left the window
    op.submitted = 3  # started again: its count restarts
    assert await rate_at(1000.0 + RATE_WINDOW + 5) == 0.0
    op.submitted = 7
    assert await rate_at(1000.0 + RATE_WINDOW + 7) == 2.0
