"""The operators behind each `Upstream` implementation, as the contract suite plays them.

An `Operator` is one upstream (started, its receipts and MO recorded) plus the controls
that make its operator accept, refuse, stop answering or send an MO. A new upstream type
joins the suite with one context manager here and one entry in `OPERATORS`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from smsgate.connectors.simulated_operator import SimulatedOperator
from smsgate.connectors.smpp import SmppUpstream
from smsgate.connectors.smpp_settings import SmppSettings
from smsgate.services.clock import SystemClock
from smsgate.services.ports import ReceiptUpdate, Upstream
from smsgate.smpp import CommandStatus
from smsgate.smpp.smsc_simulator import SmscSimulator
from smsgate.text import ConcatInfo, Encoding, encode

# Destination rules both operators follow (the README's test numbers).
DELIVERED_TO = "+393331234567"
UNDELIVERED_TO = "+393331230001"
REFUSED_TO = "+393331230002"


@dataclass
class Recorded:
    """The receipt sink and the MO sink given to the upstream; MO wait for `mo_gate`."""

    receipts: list[ReceiptUpdate] = field(default_factory=list)
    mo: list[tuple[str, str, str, str, str, int]] = field(default_factory=list)
    mo_gate: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.mo_gate.set()

    async def sink(self, receipts: Sequence[ReceiptUpdate]) -> None:
        self.receipts.extend(receipts)

    async def receive(
        self,
        connector: str,
        source: str,
        destination: str,
        text: str,
        encoding: str,
        parts: int,
        *,
        flag: str | None = None,
    ) -> int:
        self.mo.append((connector, source, destination, text, encoding, parts))
        await self.mo_gate.wait()
        return len(self.mo)

    async def receive_part(
        self,
        connector: str,
        source: str,
        destination: str,
        concat: ConcatInfo,
        payload: bytes,
        encoding: Encoding,
        *,
        flag: str | None = None,
    ) -> None:
        raise AssertionError("the suite sends single-part MO")


class Operator(Protocol):
    """One upstream, started with `recorded.sink`, and how to play its operator."""

    @property
    def upstream(self) -> Upstream: ...

    @property
    def recorded(self) -> Recorded: ...

    def refuse_for_now(self, refusing: bool) -> None:
        """Refuse every submit temporarily (busy, throttled) until called with False."""

    def stop_answering(self) -> None:
        """Leave every submit from now on unanswered, until the upstream is closed."""

    def answer_again(self) -> None:
        """Answer the submits that come after this call (those left unanswered may stay so)."""

    def answer_slowly(self) -> None:
        """Take a while over each submit (an operator that answers at once may ignore it)."""

    def holding(self) -> int:
        """How many submits came while it did not answer."""

    async def send_mo(self, source: str, destination: str, text: str) -> None:
        """Send an MO; returns once the operator has its acknowledgement."""


@dataclass
class SimulatedControl:
    upstream: SimulatedOperator
    recorded: Recorded

    def refuse_for_now(self, refusing: bool) -> None:
        self.upstream.fail_submits("busy (test)" if refusing else None)

    def stop_answering(self) -> None:
        self.upstream.stop_answering(True)

    def answer_again(self) -> None:
        self.upstream.stop_answering(False)

    def answer_slowly(self) -> None:
        """It answers at once: its window is as large as a dispatch batch."""

    def holding(self) -> int:
        return self.upstream.submits_held

    async def send_mo(self, source: str, destination: str, text: str) -> None:
        await self.upstream.inject_mo(source, destination, text)


@dataclass
class SmppControl:
    upstream: SmppUpstream
    recorded: Recorded
    smsc: SmscSimulator

    def refuse_for_now(self, refusing: bool) -> None:
        self.smsc.fail_submits(CommandStatus.ESME_RMSGQFUL if refusing else None)

    def stop_answering(self) -> None:
        self.smsc.submit_delay = None

    def answer_again(self) -> None:
        self.smsc.submit_delay = 0.0

    def answer_slowly(self) -> None:
        self.smsc.submit_delay = 0.02

    def holding(self) -> int:
        return self.smsc.counters.submits_delayed

    async def send_mo(self, source: str, destination: str, text: str) -> None:
        response = await self.smsc.inject_mo(source, destination, encode(text, Encoding.GSM7))
        assert response.command_status == CommandStatus.ESME_ROK


@contextlib.asynccontextmanager
async def simulated() -> AsyncIterator[Operator]:
    recorded = Recorded()
    upstream = SimulatedOperator(SystemClock(), "sim", delay_ms=20, mo_sink=recorded)
    await upstream.start(recorded.sink)
    try:
        yield SimulatedControl(upstream, recorded)
    finally:
        await upstream.close()


@contextlib.asynccontextmanager
async def smpp() -> AsyncIterator[Operator]:
    """SmppUpstream bound over 127.0.0.1 to the fake SMSC; a window of two."""
    smsc = SmscSimulator("127.0.0.1", 0, credentials={"gw": "pw"}, receipt_delay=0.02)
    await smsc.start()
    recorded = Recorded()
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": smsc.port,
        "system_id": "gw",
        "password": "pw",
        "window": 2,
        "retries": 1,
        "reconnect_delay": 0.05,
        "retry_delay": 0.05,
        "response_timeout": 30.0,
    }
    settings = SmppSettings.from_json(values)
    upstream = SmppUpstream("op", settings, SystemClock(), recorded)
    await upstream.start(recorded.sink)
    try:
        yield SmppControl(upstream, recorded, smsc)
    finally:
        await upstream.close()
        await smsc.stop()


OPERATORS: dict[str, Callable[[], contextlib.AbstractAsyncContextManager[Operator]]] = {
    "simulated": simulated,
    "smpp": smpp,
}
