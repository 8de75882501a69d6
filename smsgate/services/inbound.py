"""The inbound (MO) use case: keep a message an operator delivered to one of our numbers.

Routing MO to accounts by number or keyword comes later; until then rows stay unrouted
(account_id NULL). A connector acknowledges the deliver_sm only after `receive` returns.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from smsgate.services.ports import Clock


@runtime_checkable
class InboundStore(Protocol):
    async def add_unrouted_inbound(
        self,
        connector: str,
        source: str,
        destination: str,
        text: str,
        encoding: str,
        parts: int,
        received_at: float,
    ) -> int:
        """Store one MO; returns its id once committed."""
        ...


class InboundService:
    def __init__(self, store: InboundStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def receive(
        self, connector: str, source: str, destination: str, text: str, encoding: str, parts: int
    ) -> int:
        return await self._store.add_unrouted_inbound(
            connector, source, destination, text, encoding, parts, self._clock.now()
        )
