"""The built-in simulated operator: an in-process upstream that behaves like a real one.

Its operator controls (refuse for now, stop answering, send an MO) and its auto-reply
test number are for tests and demos, as the fake SMSC's are.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections import deque
from collections.abc import Awaitable, Callable

from smsgate.core.messages import Message, PartStatus
from smsgate.services.ports import (
    Clock,
    MoSink,
    ReceiptSink,
    ReceiptUpdate,
    UpstreamPart,
    UpstreamResult,
)
from smsgate.text import plan

log = logging.getLogger(__name__)

UNDELIVERED_SUFFIX = "0001"
REJECTED_SUFFIX = "0002"
SILENT_SUFFIX = "0003"
# It answers at once, so its window never binds; as large as the largest dispatch batch.
WINDOW = 10_000
# An MT to this number is answered, after its receipt, by an MO from it to the MT's
# sender. Ofcom keeps +44 7700 900000-900999 for drama: no handset has it.
AUTO_REPLY_NUMBER = "+447700900000"
AUTO_REPLY_PREFIX = "Auto-reply: "
MO_MAX_PARTS = 255  # the most parts a concatenated MO can number


def mo_coding(text: str) -> tuple[str, int]:
    """The encoding (gsm7 or ucs2) and the parts an operator delivers `text` in; a
    TextError (empty, longer than 255 parts, unpaired surrogate) when none could."""
    made = plan(text, max_parts=MO_MAX_PARTS)
    return made.encoding.value, made.sms_count


class SimulatedOperator:
    """Implements `services.ports.Upstream`.

    It accepts submits, gives each part an id and reports a receipt after a delay. The
    outcome depends on the destination's last digits (the README lists these test
    numbers): ...0001 undelivered, ...0002 rejected at submit, ...0003 never gets a
    receipt, anything else delivered. An MT to AUTO_REPLY_NUMBER is answered, once its
    last part's receipt is reported, by an MO "Auto-reply: <its text>" to its sender.
    """

    def __init__(
        self,
        clock: Clock,
        name: str = "simulator",
        *,
        delay_ms: int = 500,
        pending: Callable[[], Awaitable[list[tuple[str, str]]]] | None = None,
        mo_sink: MoSink | None = None,
    ) -> None:
        self.name = name
        self.window = WINDOW
        self._clock = clock
        self._delay = delay_ms / 1000
        self._pending = pending
        self._mo_sink = mo_sink
        self._refusal: str | None = None
        self._answering = asyncio.Event()
        self._answering.set()
        self._closed = False
        self.submits_held = 0  # submits that came while it did not answer
        # A fresh prefix per start keeps ids unique across restarts, as an operator's are.
        self._prefix = f"sim{secrets.token_hex(3)}-"
        self._ids = itertools.count(1)
        self._due: deque[tuple[float, list[ReceiptUpdate]]] = deque()
        self._ready = asyncio.Event()
        self._sink: ReceiptSink | None = None
        # the upstream id of an auto-reply MT's last part -> (its sender, the reply's text)
        self._replies: dict[str, tuple[str, str]] = {}
        self._task: asyncio.Task[None] | None = None
        # receipts being handed to the sink, each batch on its own: one that waits for
        # its submit's record holds up no other
        self._handing: set[asyncio.Task[None]] = set()

    async def start(self, sink: ReceiptSink) -> None:
        """Start reporting; parts accepted before a restart still get their receipts,
        as they would from a real operator that kept running."""
        self._sink = sink
        self._closed = False
        if self._pending is not None:
            for upstream_id, to in await self._pending():
                self._schedule(upstream_id, to)
        self._task = asyncio.create_task(self._report())

    def ready(self) -> bool:
        return True

    async def submit(self, message: Message) -> UpstreamResult:
        if not self._answering.is_set():
            self.submits_held += 1
            await self._answering.wait()
            if self._closed:  # abandoned by close
                return UpstreamResult(False, True, (), "connector closed")
        if self._refusal is not None:
            return UpstreamResult(False, True, (), self._refusal)
        if message.to.endswith(REJECTED_SUFFIX):
            return UpstreamResult(False, False, (), "rejected by operator (test number)")
        parts = tuple(
            UpstreamPart(seq, f"{self._prefix}{next(self._ids)}", None)
            for seq in range(1, message.parts + 1)
        )
        for part in parts:
            self._schedule(part.upstream_id or "", message.to)
        if self._mo_sink is not None and _same_number(message.to, AUTO_REPLY_NUMBER):
            reply = (message.sender, AUTO_REPLY_PREFIX + message.text)
            self._replies[parts[-1].upstream_id or ""] = reply
        return UpstreamResult(True, False, parts, None)

    def _schedule(self, upstream_id: str, to: str) -> None:
        if to.endswith(SILENT_SUFFIX):
            return
        undelivered = to.endswith(UNDELIVERED_SUFFIX)
        status = PartStatus.UNDELIVERED if undelivered else PartStatus.DELIVERED
        error = "UNDELIV (test number)" if undelivered else None
        receipt = ReceiptUpdate(self.name, upstream_id, status, error, 0.0)
        due = asyncio.get_running_loop().time() + self._delay
        if self._due and self._due[-1][0] >= due - 0.005:
            self._due[-1][1].append(receipt)
        else:
            self._due.append((due, [receipt]))
        self._ready.set()

    async def _report(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._due:
                self._ready.clear()
                await self._ready.wait()
                continue
            wait = self._due[0][0] - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            batch: list[ReceiptUpdate] = []
            while self._due and self._due[0][0] <= loop.time():
                batch.extend(self._due.popleft()[1])
            if batch and self._sink is not None:
                task = asyncio.create_task(self._hand_over(self._sink, batch))
                self._handing.add(task)
                task.add_done_callback(self._handing.discard)

    async def _hand_over(self, sink: ReceiptSink, batch: list[ReceiptUpdate]) -> None:
        at = self._clock.now()
        stamped = [ReceiptUpdate(r.connector, r.upstream_id, r.status, r.error, at) for r in batch]
        try:
            await sink(stamped)
        except Exception:
            log.exception("receipt sink failed; retrying %d receipts", len(stamped))
            self._due.appendleft((asyncio.get_running_loop().time() + 1.0, batch))
            self._ready.set()
        else:
            await self._auto_reply(batch)

    async def _auto_reply(self, reported: list[ReceiptUpdate]) -> None:
        """The auto-reply MO of the auto-reply MT whose receipts were just reported."""
        for receipt in reported:
            reply = self._replies.pop(receipt.upstream_id, None)
            if reply is None:
                continue
            sender, text = reply
            try:
                await self.inject_mo(AUTO_REPLY_NUMBER, sender, text)
            except Exception:
                log.exception("the auto-reply MO to %s was not stored", sender)

    # --- operator controls -------------------------------------------------------------

    def fail_submits(self, error: str | None) -> None:
        """Refuse every submit for now (temporary) with `error`, until None."""
        self._refusal = error

    def stop_answering(self, stopped: bool) -> None:
        """Leave submits unanswered until `stop_answering(False)` or `close`."""
        if stopped:
            self._answering.clear()
        else:
            self._answering.set()

    async def inject_mo(self, source: str, destination: str, text: str) -> None:
        """Hand an MO to the MO sink, in the encoding and parts `mo_coding` gives; returns
        after it did, as an acknowledgement would."""
        if self._mo_sink is not None:
            encoding, parts = mo_coding(text)
            await self._mo_sink.receive(self.name, source, destination, text, encoding, parts)

    async def close(self) -> None:
        self._closed = True
        self._answering.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._handing):
            task.cancel()
        await asyncio.gather(*self._handing, return_exceptions=True)


def _same_number(a: str, b: str) -> bool:
    """The same number, written with or without '+'."""
    return a.removeprefix("+") == b.removeprefix("+")
