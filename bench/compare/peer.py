"""The common peer every gateway under test talks to, run as its own process.

An SMPP 3.4 sink (any bind accepted, every submit_sm answered at once and counted per
tag, optional receipts 100 ms later), an HTTP receiver counting receipt callbacks per
tag, and a line-based JSON control port for the runner. Its PDU handling is written
here from the specification so it stays independent of the code it measures.

    python -m bench.compare.peer --smpp-port P --http-port Q --control-port C
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, cast

HEADER = struct.Struct(">IIII")
SUBMIT_SM, DELIVER_SM, UNBIND, ENQUIRE_LINK = 0x04, 0x05, 0x06, 0x15
BINDS = {0x01: "rx", 0x02: "tx", 0x09: "trx"}
RESPONSE_BIT = 0x80000000
ESME_RINVCMDID = 0x03
MESSAGE_PAYLOAD, RECEIPTED_MESSAGE_ID, MESSAGE_STATE = 0x0424, 0x001E, 0x0427
RECEIPT_DELAY = 0.1
TAG = re.compile(rb"cmp[0-9a-f]{8}")
# Jasmin sends a receipt callback again unless the answer's body is exactly this;
# the other gateways look at the status only.
CALLBACK_BODY = b"ACK/Jasmin"
CALLBACK_REPLY = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n" % len(
    CALLBACK_BODY
)


@dataclass(frozen=True, slots=True)
class Submit:
    """What the sink reads from one submit_sm."""

    source: tuple[int, int, str]
    destination: tuple[int, int, str]
    registered_delivery: int
    text: str


def _cstring(buf: bytes, pos: int) -> tuple[str, int]:
    end = buf.index(0, pos)
    return buf[pos:end].decode("latin-1"), end + 1


def decode_text(esm_class: int, data_coding: int, raw: bytes) -> str:
    """The message text: a UDH skipped, UCS-2 decoded, anything else read as one octet
    per character (the GSM 7-bit default alphabet agrees with ASCII on letters, digits
    and space, which is all the tags and sequence numbers use)."""
    if esm_class & 0x40 and raw:
        raw = raw[1 + raw[0] :]
    if data_coding == 0x08:
        return raw.decode("utf-16-be", "replace")
    return raw.decode("latin-1")


def parse_submit_sm(frame: bytes) -> Submit:
    """Read a whole submit_sm frame (header included); message_payload wins when present."""
    pos = 16
    _service_type, pos = _cstring(frame, pos)
    source_ton, source_npi = frame[pos], frame[pos + 1]
    source, pos = _cstring(frame, pos + 2)
    dest_ton, dest_npi = frame[pos], frame[pos + 1]
    destination, pos = _cstring(frame, pos + 2)
    esm_class = frame[pos]
    _schedule, pos = _cstring(frame, pos + 3)
    _validity, pos = _cstring(frame, pos)
    registered_delivery, data_coding, sm_length = frame[pos], frame[pos + 2], frame[pos + 4]
    pos += 5
    raw = frame[pos : pos + sm_length]
    pos += sm_length
    while pos + 4 <= len(frame):
        tag, length = struct.unpack_from(">HH", frame, pos)
        if tag == MESSAGE_PAYLOAD:
            raw = frame[pos + 4 : pos + 4 + length]
        pos += 4 + length
    return Submit(
        (source_ton, source_npi, source),
        (dest_ton, dest_npi, destination),
        registered_delivery,
        decode_text(esm_class, data_coding, raw),
    )


def pdu(command_id: int, sequence: int, body: bytes = b"", status: int = 0) -> bytes:
    return HEADER.pack(16 + len(body), command_id, status, sequence) + body


def receipt_body(message_id: str, submit: Submit, submitted: float, done: float) -> bytes:
    """The body of the deliver_sm reporting `message_id` as delivered (esm_class 0x04)."""
    text = (
        f"id:{message_id} sub:001 dlvrd:001 submit date:{_date(submitted)} "
        f"done date:{_date(done)} stat:DELIVRD err:000 text:{submit.text[:20]}"
    ).encode("latin-1", "replace")
    handset, sender = submit.destination, submit.source
    rid = message_id.encode() + b"\0"
    return b"".join(
        (
            b"\0",  # service_type
            bytes((handset[0], handset[1])),
            handset[2].encode("latin-1") + b"\0",
            bytes((sender[0], sender[1])),
            sender[2].encode("latin-1") + b"\0",
            bytes((0x04, 0, 0)),  # esm_class (receipt), protocol_id, priority_flag
            b"\0\0",  # schedule_delivery_time, validity_period
            bytes((0, 0, 0, 0, len(text))),
            text,
            struct.pack(">HH", RECEIPTED_MESSAGE_ID, len(rid)) + rid,
            struct.pack(">HHB", MESSAGE_STATE, 1, 2),
        )
    )


def _date(ts: float) -> str:
    return time.strftime("%y%m%d%H%M", time.localtime(ts))


@dataclass(slots=True)
class TagCounts:
    """Everything counted for one tag; times are time.monotonic() (CLOCK_MONOTONIC)."""

    receipts: bool = False
    keys: set[tuple[str, str]] = field(default_factory=set)
    duplicates: int = 0
    first: float = 0.0
    last_new: float = 0.0
    receipts_sent: int = 0
    receipts_acked: int = 0
    callbacks: int = 0
    callback_first: float = 0.0
    callback_last: float = 0.0

    def view(self) -> dict[str, Any]:
        """Every field but the keys themselves, plus `unique`: how many keys there are."""
        names = (f.name for f in fields(self) if f.name != "keys")
        return {"unique": len(self.keys), **{name: getattr(self, name) for name in names}}


class Peer:
    """The shared state of the sink, the callback receiver and the control port."""

    def __init__(self) -> None:
        self.tags: dict[str, TagCounts] = {}
        self.receivers: dict[str, list[SinkSession]] = {}
        self.pending: dict[str, list[tuple[str, bytes]]] = {}
        self.next_id = 0
        self.turn = 0
        self.other = 0  # submit_sm whose text carries no tag

    def counts(self, tag: str) -> TagCounts:
        counts = self.tags.get(tag)
        if counts is None:
            counts = self.tags[tag] = TagCounts()
        return counts

    def reset(self) -> None:
        self.tags.clear()
        self.pending.clear()
        self.other = 0

    def binds(self) -> int:
        return sum(len(sessions) for sessions in self.receivers.values())

    def send_receipts(self, system_id: str, batch: list[tuple[str, bytes]]) -> None:
        sessions = self.receivers.get(system_id)
        if not sessions:
            self.pending.setdefault(system_id, []).extend(batch)
            return
        self.turn += 1
        sessions[self.turn % len(sessions)].deliver(batch)

    def bound(self, session: SinkSession) -> None:
        self.receivers.setdefault(session.system_id, []).append(session)
        waiting = self.pending.pop(session.system_id, None)
        if waiting:
            session.deliver(waiting)

    def gone(self, session: SinkSession) -> None:
        sessions = self.receivers.get(session.system_id, [])
        if session in sessions:
            sessions.remove(session)


class SinkSession(asyncio.Protocol):
    """One SMPP connection to the sink."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.system_id = ""
        self.sequence = 0
        self.in_flight: dict[int, str] = {}  # deliver_sm sequence -> tag
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self.peer.gone(self)
        self.transport = None

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        out: list[bytes] = []
        receipts: dict[str, list[tuple[str, bytes]]] = {}
        pos, size = 0, len(buf)
        now = time.monotonic()
        closing = False
        while size - pos >= 16:
            length, command_id, _status, seq = HEADER.unpack_from(buf, pos)
            if length < 16 or length > 65536:
                if self.transport is not None:
                    self.transport.abort()
                return
            if size - pos < length:
                break
            frame = bytes(buf[pos : pos + length])
            pos += length
            if command_id == SUBMIT_SM:
                out.append(self.on_submit(frame, seq, now, receipts))
            elif command_id == DELIVER_SM | RESPONSE_BIT:
                tag = self.in_flight.pop(seq, None)
                if tag is not None:
                    self.peer.counts(tag).receipts_acked += 1
            elif command_id in BINDS:
                out.append(self.on_bind(frame, command_id, seq))
            elif command_id == ENQUIRE_LINK:
                out.append(pdu(ENQUIRE_LINK | RESPONSE_BIT, seq))
            elif command_id == UNBIND:
                out.append(pdu(UNBIND | RESPONSE_BIT, seq))
                self.peer.gone(self)
                closing = True
            elif not command_id & RESPONSE_BIT:
                out.append(pdu(RESPONSE_BIT, seq, status=ESME_RINVCMDID))
        del buf[:pos]
        if out and self.transport is not None:
            self.transport.write(b"".join(out))
        if closing and self.transport is not None:
            self.transport.close()
        for system_id, batch in receipts.items():
            self.loop.call_later(RECEIPT_DELAY, self.peer.send_receipts, system_id, batch)

    def on_bind(self, frame: bytes, command_id: int, seq: int) -> bytes:
        self.system_id, _ = _cstring(frame, 16)
        if BINDS[command_id] != "tx":
            self.peer.bound(self)
        return pdu(command_id | RESPONSE_BIT, seq, b"sink\0")

    def on_submit(
        self, frame: bytes, seq: int, now: float, receipts: dict[str, list[tuple[str, bytes]]]
    ) -> bytes:
        peer = self.peer
        peer.next_id += 1
        message_id = str(peer.next_id)
        response = pdu(SUBMIT_SM | RESPONSE_BIT, seq, message_id.encode() + b"\0")
        try:
            submit = parse_submit_sm(frame)
        except (ValueError, IndexError, struct.error):
            peer.other += 1
            return response
        words = submit.text.split()
        if len(words) < 2 or not TAG.fullmatch(words[0].encode()):
            peer.other += 1
            return response
        counts = peer.counts(words[0])
        key = (submit.destination[2], words[1])
        if key in counts.keys:
            counts.duplicates += 1
        else:
            counts.keys.add(key)
            counts.last_new = now
            if not counts.first:
                counts.first = now
        if counts.receipts and submit.registered_delivery & 0x03 == 1:
            body = receipt_body(message_id, submit, time.time(), time.time() + RECEIPT_DELAY)
            receipts.setdefault(self.system_id, []).append((words[0], body))
        return response

    def deliver(self, batch: list[tuple[str, bytes]]) -> None:
        if self.transport is None:
            self.peer.send_receipts(self.system_id, batch)
            return
        out = []
        for tag, body in batch:
            self.sequence = self.sequence % 0x7FFFFFFF + 1
            self.in_flight[self.sequence] = tag
            self.peer.counts(tag).receipts_sent += 1
            out.append(pdu(DELIVER_SM, self.sequence, body))
        self.transport.write(b"".join(out))


class CallbackSession(asyncio.Protocol):
    """One HTTP/1.x connection delivering receipt callbacks (any method, any path)."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while self.transport is not None:
            request = take_request(self.buf)
            if request is None:
                return
            head, body = request
            found = TAG.search(head.split(b"\r\n", 1)[0]) or TAG.search(body)
            if found:
                counts = self.peer.counts(found.group().decode())
                now = time.monotonic()
                counts.callbacks += 1
                counts.callback_last = now
                counts.callback_first = counts.callback_first or now
            lowered = head.lower()
            close = b"connection: close" in lowered or (
                head.split(b"\r\n", 1)[0].endswith(b"HTTP/1.0")
                and b"connection: keep-alive" not in lowered
            )
            reply = CALLBACK_REPLY + (b"Connection: close\r\n" if close else b"")
            self.transport.write(reply + b"\r\n" + CALLBACK_BODY)
            if close:
                self.transport.close()
                self.transport = None


def take_request(buf: bytearray) -> tuple[bytes, bytes] | None:
    """Remove one complete request (head, body) from the front of `buf`, if there is one."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buf[:end])
    start = end + 4
    lowered = head.lower()
    if b"transfer-encoding: chunked" in lowered:
        body, pos = bytearray(), start
        while True:
            line_end = buf.find(b"\r\n", pos)
            if line_end < 0:
                return None
            size = int(bytes(buf[pos:line_end]).split(b";")[0], 16)
            if size == 0:
                trailer_end = buf.find(b"\r\n\r\n", line_end)  # after any trailer fields
                if trailer_end < 0:
                    return None
                del buf[: trailer_end + 4]
                return head, bytes(body)
            if len(buf) < line_end + 2 + size + 2:
                return None
            body += buf[line_end + 2 : line_end + 2 + size]
            pos = line_end + 2 + size + 2
    found = re.search(rb"content-length:\s*(\d+)", lowered)
    length = int(found.group(1)) if found else 0
    if len(buf) < start + length:
        return None
    body_bytes = bytes(buf[start : start + length])
    del buf[: start + length]
    return head, body_bytes


async def control_session(
    peer: Peer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Line-based JSON: {"op": "reset" | "arm" | "stats" | "status", "tag": ..., ...}."""
    with contextlib.suppress(ConnectionError):
        while line := await reader.readline():
            request = json.loads(line)
            op = request.get("op")
            answer: dict[str, Any] = {"ok": True}
            if op == "reset":
                peer.reset()
            elif op == "arm":
                counts = peer.tags[request["tag"]] = TagCounts()
                counts.receipts = bool(request.get("receipts"))
            elif op == "stats":
                answer |= peer.counts(request["tag"]).view()
            elif op == "status":
                answer |= {"binds": peer.binds(), "other": peer.other, "next_id": peer.next_id}
            else:
                answer = {"ok": False, "error": f"unknown op {op!r}"}
            answer["now"] = time.monotonic()
            writer.write(json.dumps(answer).encode() + b"\n")
            await writer.drain()
    writer.close()


async def serve(smpp_port: int, http_port: int, control_port: int) -> None:
    peer = Peer()
    loop = asyncio.get_running_loop()
    factory: Callable[[], asyncio.Protocol] = lambda: SinkSession(peer)  # noqa: E731
    sink = await loop.create_server(factory, "127.0.0.1", smpp_port, backlog=512)
    callbacks = await loop.create_server(lambda: CallbackSession(peer), "127.0.0.1", http_port)
    control = await asyncio.start_server(
        lambda r, w: control_session(peer, r, w), "127.0.0.1", control_port
    )
    print(f"peer ready: smpp {smpp_port} http {http_port} control {control_port}", flush=True)
    async with sink, callbacks, control:
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--smpp-port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--control-port", type=int, required=True)
    args = parser.parse_args()
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        runner = asyncio.Runner()
    with runner, contextlib.suppress(KeyboardInterrupt):
        runner.run(serve(args.smpp_port, args.http_port, args.control_port))


if __name__ == "__main__":
    main()
