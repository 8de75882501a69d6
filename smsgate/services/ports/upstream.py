"""The `Upstream` Protocol and its contract, the `MoSink` MO goes to, and the records of
the HTTP callbacks an operator may send; every connector type implements these."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from smsgate.core.messages import Message
from smsgate.services.ports.store import ReceiptUpdate
from smsgate.text import ConcatInfo, Encoding


@dataclass(frozen=True, slots=True)
class UpstreamPart:
    seq: int
    upstream_id: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class UpstreamResult:
    """How an upstream answered one message.

    accepted: every part has an upstream id; temporary: try again later;
    otherwise the message was refused for good (error says why) after the parts in
    `parts` that did get an id.
    """

    accepted: bool
    temporary: bool
    parts: tuple[UpstreamPart, ...]
    error: str | None


ReceiptSink = Callable[[Sequence[ReceiptUpdate]], Awaitable[None]]


class MoSink(Protocol):
    """Where MO goes (`services.inbound.InboundService`); each call returns after commit.
    `flag` says why the text is kept as the raw bytes' hex (services.inbound FLAG_*)."""

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
    ) -> object: ...

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
    ) -> object: ...


class Upstream(Protocol):
    """An operator connection (the simulated operator, SMPP client, HTTP).

    Contract (each clause is one test in tests/integration/connectors/
    test_upstream_contract.py, run against every implementation):
    1. ready: after `start`, `ready()` becomes True once the operator can be reached;
       while it is False (no bind) the dispatcher leaves its messages queued instead of
       spending their attempts.
    2. accepted: `submit` of a message the operator takes returns accepted, not
       temporary, no error, and one UpstreamPart per part (seq 1..parts), each with an
       upstream id that no other part has.
    3. temporary refusal: when the operator refuses for now (busy, throttled), `submit`
       returns not accepted, temporary, with an error; it never raises for a remote
       refusal and never blocks the event loop.
    4. permanent refusal: when the operator refuses the message for good, `submit`
       returns not accepted, not temporary, with an error saying why.
    5. receipts matched: each final receipt is handed to the sink given to `start` as a
       ReceiptUpdate of `connector` = `name` and `upstream_id` = the id `submit` returned
       for that part, with its final status, and an error when it was not delivered.
    6. MO handed on: a message from a handset is handed to the `MoSink` the upstream was
       built with (`receive`; `receive_part` for a part of a longer one) under `name`;
       the operator is told it arrived only after that call returned.
    7. stop/start: `close` returns even while submits wait for an operator that stopped
       answering, and those submits then return not accepted and temporary (the
       dispatcher retries them); `start` after `close` takes messages again.
    8. back-pressure: `window` (at least 1) is how many messages it takes at once
       (submits not yet returned); the dispatcher never hands it more and holds the rest
       queued. `window` submits at once to a slow operator wait their turn and are all
       accepted: none is refused for being one too many.

    A type whose operator calls back over HTTP (receipts, MO) also gives the registry a
    `CallbackRoutes` function (`connectors.registry.CALLBACKS`), served under
    `/callbacks/{connector}/...` in every process that serves HTTP.
    """

    name: str
    window: int

    def ready(self) -> bool: ...

    async def start(self, sink: ReceiptSink) -> None: ...

    async def submit(self, message: Message) -> UpstreamResult: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """An HTTP request to `/callbacks/{connector}/{path}` as a callback handler sees it
    (header names in lower case)."""

    connector: str
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class CallbackReply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"


CallbackHandler = Callable[[CallbackRequest], Awaitable[CallbackReply]]
