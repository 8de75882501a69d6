"""The peers of the MO benchmark (`bench.mo`) and what they count.

An upstream SMSC that delivers numbered deliver_sm MO to whatever binds to it, keeping at
most `window` unanswered per bind; an HTTP receiver and customer receiver binds that
count the MO ids they are handed. Their SMPP is written here from the specification
(with `bench.compare.peer`'s helpers), so it stays independent of the code it measures.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from typing import cast

from bench.compare.peer import (
    BINDS,
    DELIVER_SM,
    ENQUIRE_LINK,
    HEADER,
    RESPONSE_BIT,
    SUBMIT_SM,
    UNBIND,
    parse_submit_sm,
    pdu,
    take_request,
)

BIND_RECEIVER = 0x01
MO_ID = re.compile(rb"\bmo([0-9]{7})\b")
WEBHOOK_REPLY = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n+OK"


def mo_text(keyword: str, mo_id: int) -> str:
    """The text of MO number `mo_id`: the keyword that routes it, then its id."""
    return f"{keyword} mo{mo_id:07d}"


def mo_ids(data: bytes) -> list[int]:
    """The MO ids written in `data` (a text, or a webhook's body)."""
    return [int(found.group(1)) for found in MO_ID.finditer(data)]


@dataclass(slots=True)
class Arrivals:
    """The MO ids one path was handed: each new one once, repeats as duplicates, and when
    the first and the latest new one came (time.monotonic())."""

    seen: set[int] = field(default_factory=set)
    duplicates: int = 0
    first: float = 0.0
    last: float = 0.0

    def add(self, mo_id: int, now: float) -> None:
        if mo_id in self.seen:
            self.duplicates += 1
            return
        self.seen.add(mo_id)
        self.last = now
        self.first = self.first or now

    def lost(self, sent: int) -> int:
        """How many of MO 0..sent-1 never came."""
        return sum(1 for mo_id in range(sent) if mo_id not in self.seen)


@dataclass(frozen=True, slots=True)
class Mo:
    """One MO the upstream delivers."""

    mo_id: int
    source: str
    destination: str
    text: str


def deliver_sm_body(mo: Mo) -> bytes:
    """A deliver_sm body carrying `mo` (international source, GSM default alphabet)."""
    text = mo.text.encode("ascii")
    return b"".join(
        (
            b"\0",  # service_type
            bytes((1, 1)) + mo.source.encode() + b"\0",
            bytes((0, 1)) + mo.destination.encode() + b"\0",
            bytes((0, 0, 0)),  # esm_class (an MO), protocol_id, priority_flag
            b"\0\0",  # schedule_delivery_time, validity_period
            bytes((0, 0, 0, 0, len(text))),
            text,
        )
    )


class Upstream:
    """What every bind of the upstream SMSC shares: the MO still to deliver, and how many
    were acknowledged (deliver_sm_resp with status 0) or refused (sent again). It sends
    once `start` was called (at once when `started`)."""

    def __init__(self, mos: list[Mo], window: int, *, started: bool = True) -> None:
        self.todo: deque[Mo] = deque(mos)
        self.window = window
        self.started = started
        self.sessions: list[UpstreamSession] = []
        self.sent = len(mos)
        self.acked = 0
        self.refused = 0
        self.binds = 0
        self.first_sent = 0.0
        self.last_acked = 0.0
        self.done = asyncio.Event()
        if not mos:
            self.done.set()

    def start(self) -> None:
        self.started = True
        for session in self.sessions:
            session.pump()


class _Connection(asyncio.Protocol):
    """A loopback connection with no Nagle delay, and what it has read so far."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class UpstreamSession(_Connection):
    """One bind of the gateway's SMPP connector to the upstream SMSC."""

    def __init__(self, upstream: Upstream) -> None:
        super().__init__()
        self.upstream = upstream
        self.sequence = 0
        self.in_flight: dict[int, Mo] = {}

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self in self.upstream.sessions:
            self.upstream.sessions.remove(self)
        self.upstream.todo.extendleft(self.in_flight.values())  # unanswered: sent again
        self.in_flight.clear()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        out: list[bytes] = []
        pos = 0
        while len(self.buf) - pos >= 16:
            length, command_id, status, seq = HEADER.unpack_from(self.buf, pos)
            if length < 16:
                if self.transport is not None:
                    self.transport.abort()
                return
            if len(self.buf) - pos < length:
                break
            pos += length
            if command_id == DELIVER_SM | RESPONSE_BIT:
                self.answered(seq, status)
            elif command_id in BINDS:
                out.append(pdu(command_id | RESPONSE_BIT, seq, b"mosmsc\0"))
                self.upstream.binds += 1
                if BINDS[command_id] != "tx":
                    self.upstream.sessions.append(self)
            elif command_id == SUBMIT_SM:
                out.append(pdu(SUBMIT_SM | RESPONSE_BIT, seq, b"1\0"))
            elif command_id == ENQUIRE_LINK:
                out.append(pdu(ENQUIRE_LINK | RESPONSE_BIT, seq))
            elif command_id == UNBIND:
                out.append(pdu(UNBIND | RESPONSE_BIT, seq))
        del self.buf[:pos]
        if self.transport is not None:
            self.transport.write(b"".join(out))
            self.pump()

    def answered(self, seq: int, status: int) -> None:
        mo = self.in_flight.pop(seq, None)
        if mo is None:
            return
        upstream = self.upstream
        if status:
            upstream.refused += 1
            upstream.todo.append(mo)
            return
        upstream.acked += 1
        upstream.last_acked = time.monotonic()
        if upstream.acked >= upstream.sent:
            upstream.done.set()

    def pump(self) -> None:
        """Send MO until `window` are unanswered or none is left."""
        upstream = self.upstream
        if not upstream.started or self not in upstream.sessions or self.transport is None:
            return
        out: list[bytes] = []
        while upstream.todo and len(self.in_flight) < upstream.window:
            mo = upstream.todo.popleft()
            self.sequence = self.sequence % 0x7FFFFFFF + 1
            self.in_flight[self.sequence] = mo
            out.append(pdu(DELIVER_SM, self.sequence, deliver_sm_body(mo)))
        if out:
            upstream.first_sent = upstream.first_sent or time.monotonic()
            self.transport.write(b"".join(out))


class WebhookReceiver(_Connection):
    """One HTTP connection posting MO: every request is answered 200 `+OK`, and the MO
    ids in its body are counted."""

    def __init__(self, arrivals: Arrivals) -> None:
        super().__init__()
        self.arrivals = arrivals

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while self.transport is not None and (request := take_request(self.buf)) is not None:
            now = time.monotonic()
            for mo_id in mo_ids(request[1]):
                self.arrivals.add(mo_id, now)
            self.transport.write(WEBHOOK_REPLY)


def bind_receiver_body(system_id: str, password: str) -> bytes:
    return system_id.encode() + b"\0" + password.encode() + b"\0" + b"\0" + bytes((0x34, 0, 0, 0))


async def receive_mo(
    port: int, system_id: str, password: str, arrivals: Arrivals, stop: asyncio.Event
) -> None:
    """Bind as a receiver to the gateway's SMPP server at `port`, answer every deliver_sm
    and count the MO ids, until `stop` is set."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(pdu(BIND_RECEIVER, 1, bind_receiver_body(system_id, password)))
        head = await reader.readexactly(16)
        length, command_id, status, _seq = HEADER.unpack(head)
        await reader.readexactly(length - 16)
        if command_id != BIND_RECEIVER | RESPONSE_BIT or status:
            raise RuntimeError(f"bind_receiver as {system_id!r} refused: status {status:#x}")
        reading = asyncio.ensure_future(_read_deliveries(reader, writer, arrivals))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait((reading, stopping), return_when=asyncio.FIRST_COMPLETED)
        for task in (reading, stopping):
            task.cancel()
    finally:
        writer.close()


async def _read_deliveries(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, arrivals: Arrivals
) -> None:
    while True:
        head = await reader.readexactly(16)
        length, command_id, _status, seq = HEADER.unpack(head)
        frame = head + await reader.readexactly(length - 16)
        if command_id == DELIVER_SM:
            now = time.monotonic()
            for mo_id in mo_ids(parse_submit_sm(frame).text.encode("latin-1", "replace")):
                arrivals.add(mo_id, now)
            writer.write(pdu(DELIVER_SM | RESPONSE_BIT, seq, b"\0"))
        elif command_id == ENQUIRE_LINK:
            writer.write(pdu(ENQUIRE_LINK | RESPONSE_BIT, seq))
        elif not command_id & RESPONSE_BIT:
            writer.write(pdu(command_id | RESPONSE_BIT, seq))
