"""The inbound (MO) use case: keep a message an operator delivered to one of our numbers,
as an unrouted row (account_id NULL) until MO routing exists. `receive` and
`receive_part` return once it is committed, so a connector acknowledges only what is:
the parts of a concatenated MO wait in the store for the last one, and the message is
stored and its parts dropped in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from smsgate.core.storable import storable
from smsgate.services.ports import Clock
from smsgate.text import ConcatInfo, Encoding, TextError, check_concat, decode

# An incomplete concatenated MO waits this long for its other parts, then is dropped.
PARTS_KEPT_FOR = 600.0


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One whole MO as it is stored: routed to `account_id`, or not (yet) when None."""

    connector: str
    source: str
    destination: str
    text: str
    encoding: str
    parts: int
    received_at: float
    account_id: int | None = None


@dataclass(frozen=True, slots=True)
class InboundPart:
    """One part of a concatenated MO, as its connector received it."""

    connector: str
    source: str
    destination: str
    reference: int
    total: int
    sequence: int
    payload: bytes
    received_at: float

    @property
    def message(self) -> tuple[str, str, str, int, int]:
        """(connector, source, destination, reference, total): the message it is part of."""
        return (self.connector, self.source, self.destination, self.reference, self.total)

    def joined(self, text: str, encoding: str) -> InboundMessage:
        """Its whole message, once every part is in and `text` is what they make."""
        return InboundMessage(
            self.connector,
            self.source,
            self.destination,
            text,
            encoding,
            self.total,
            self.received_at,
        )


# The payloads of every part of one message, in sequence order -> (text, encoding).
JoinParts = Callable[[list[bytes]], tuple[str, str]]


@runtime_checkable
class InboundStore(Protocol):
    async def add_unrouted_inbound(self, mo: InboundMessage) -> int:
        """Store one MO (its `account_id` is None); returns its id once committed."""
        ...

    async def add_inbound_part(
        self, part: InboundPart, join: JoinParts, stale_before: float
    ) -> int | None:
        """Keep one part (a repeat replaces the earlier copy) and drop the parts received
        before `stale_before`. Once every part of its message is in, store the message
        `join` makes of their payloads and drop its parts, in the same transaction, and
        return the message's id; else None. Either way, what was kept is committed."""
        ...


def mo_text(body: bytes, encoding: Encoding) -> tuple[str, str]:
    """An MO's text and the encoding it is stored under; bytes that do not decode, text
    no store holds (U+0000), and binary messages are kept as hex under `binary`."""
    if encoding is not Encoding.BINARY:
        try:
            text = decode(body, encoding)
        except TextError:
            pass
        else:
            if storable(text):
                return text, encoding.value
    return body.hex(), Encoding.BINARY.value


class InboundService:
    def __init__(self, store: InboundStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def receive(
        self, connector: str, source: str, destination: str, text: str, encoding: str, parts: int
    ) -> int:
        now = self._clock.now()
        mo = InboundMessage(connector, source, destination, text, encoding, parts, now)
        return await self._store.add_unrouted_inbound(mo)

    async def receive_part(
        self,
        connector: str,
        source: str,
        destination: str,
        concat: ConcatInfo,
        payload: bytes,
        encoding: Encoding,
    ) -> int | None:
        """Keep one part of a concatenated MO; returns the message's id once it is whole.

        Raises InvalidConcat (a TextError) for numbering no part can have. The payloads
        are decoded only when joined: a UCS-2 character or a GSM escape may straddle two
        parts."""
        check_concat(concat)
        now = self._clock.now()
        part = InboundPart(
            connector,
            source,
            destination,
            concat.reference,
            concat.total,
            concat.sequence,
            payload,
            now,
        )

        def join(payloads: list[bytes]) -> tuple[str, str]:
            return mo_text(b"".join(payloads), encoding)

        return await self._store.add_inbound_part(part, join, now - PARTS_KEPT_FOR)
