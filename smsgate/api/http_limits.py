"""The HTTP listener's guard against slow and half-open clients, as uvicorn's protocol class.

Headers must arrive within `header_timeout` of the connection (or of a kept-alive
request's first byte) and the body within `body_timeout` of its headers, else 408 and
close; one address holds at most `per_address` connections in a process.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from smsgate.smpp.proxy import Network, is_trusted

log = logging.getLogger(__name__)

TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"

# What the connection waits for: nothing (kept alive between requests), headers, a body.
_IDLE, _HEADERS, _BODY = 0, 1, 2


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    header_timeout: float
    body_timeout: float
    per_address: int  # 0: no cap
    exempt: tuple[Network, ...] = ()  # trusted proxies: their connections carry many clients


def guarded_protocol(limits: ConnectionLimits) -> type[GuardedHttpProtocol]:
    """The `http` class for uvicorn's Config: one count of connections per address for
    every connection the class serves."""

    class Guarded(GuardedHttpProtocol):
        settings = limits
        open_by_address: ClassVar[dict[str, int]] = {}

    return Guarded


def admit(limits: ConnectionLimits, counts: dict[str, int], client: str | None) -> str | None:
    """The address a new connection from `client` is counted under, or None when it is not
    counted (no cap, no address, a trusted proxy). Raises ConnectionRefusedError at the cap."""
    cap = limits.per_address
    if not cap or not client or is_trusted(client, limits.exempt):
        return None
    held = counts.get(client, 0)
    if held >= cap:
        raise ConnectionRefusedError(f"HTTP connection from {client} refused: {held} open")
    counts[client] = held + 1
    return client


def release(counts: dict[str, int], address: str) -> None:
    """Uncount a connection `admit` counted."""
    left = counts[address] - 1
    if left:
        counts[address] = left
    else:
        del counts[address]


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header and a body deadline and a per-address cap.

    A request that arrives whole in one read arms no timer: the deadline is armed only when
    a read leaves a request unfinished (and once when the connection opens).
    """

    settings: ClassVar[ConnectionLimits]
    open_by_address: ClassVar[dict[str, int]]

    _waiting_for = _HEADERS
    _timed = _IDLE
    _timer: asyncio.TimerHandle | None = None
    _address: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        try:
            self._address = admit(
                self.settings, self.open_by_address, self.client[0] if self.client else None
            )
        except ConnectionRefusedError as refused:
            log.debug("%s", refused)
            transport.close()
            return
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        address = self._address
        if address is not None:
            self._address = None
            release(self.open_by_address, address)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._waiting_for != self._timed:
            self._watch()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._waiting_for = _HEADERS

    def on_headers_complete(self) -> None:
        self._waiting_for = _BODY
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._waiting_for = _IDLE
        super().on_message_complete()

    def _watch(self) -> None:
        """Arm the deadline of what the connection now waits for (none when idle: the
        keep-alive timeout is uvicorn's)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiting_for = self._timed = self._waiting_for
        if waiting_for == _IDLE or self.transport.is_closing():
            return
        limits = self.settings
        timeout = limits.header_timeout if waiting_for == _HEADERS else limits.body_timeout
        self._timer = self.loop.call_later(timeout, self._time_out)

    def _time_out(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if self._waiting_for == _HEADERS:
            answer = cycle is None or cycle.response_complete  # no response under way
        else:
            answer = not cycle.response_started
        if answer:
            self.transport.write(TIMED_OUT)
        self.transport.close()
