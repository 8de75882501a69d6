"""The SMPP customer of workload 4: one transceiver bind into a gateway's SMPP server.

Keeps a window of submit_sm in flight (pre-encoded before the clock starts), times
each submit_sm -> submit_sm_resp, answers every deliver_sm and counts the receipts
by their message id. Uses smsgate's SMPP codec only to encode and decode PDUs.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import cast

from bench.compare.gateways import SmppEndpoint
from smsgate.smpp import (
    BindTransceiver,
    DeliverSm,
    DeliverSmResp,
    EnquireLinkResp,
    PduError,
    ReceiptError,
    SubmitSm,
    Unbind,
    UnbindResp,
    decode,
    encode,
    is_receipt,
    receipt_from_pdu,
    split_frames,
)

HEADER = struct.Struct(">IIII")
SUBMIT_SM_RESP, DELIVER_SM, UNBIND, ENQUIRE_LINK = 0x80000004, 0x05, 0x06, 0x15
BIND_TRANSCEIVER_RESP, UNBIND_RESP, GENERIC_NACK = 0x80000009, 0x80000006, 0x80000000


@dataclass(slots=True)
class SubmitResult:
    """What the submit phase saw; times are time.monotonic()."""

    submitted: int = 0
    accepted: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    started: float = 0.0
    elapsed: float = 0.0
    timed_out: bool = False

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def submit_pdu(sequence: int, to: str, text: str, receipt: bool) -> bytes:
    return encode(
        SubmitSm(
            sequence_number=sequence,
            source_addr_ton=5,
            source_addr="bench",
            dest_addr_ton=1,
            dest_addr_npi=1,
            destination_addr=to.removeprefix("+"),
            registered_delivery=1 if receipt else 0,
            short_message=text.encode("ascii"),
        )
    )


class Esme(asyncio.Protocol):
    """A transceiver bind; `await Esme.bind(...)`, then `submit_all`, then `close`."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.loop = asyncio.get_running_loop()
        self.bound: asyncio.Future[int] = self.loop.create_future()
        self.closed: asyncio.Future[None] = self.loop.create_future()
        self.done: asyncio.Future[None] | None = None
        self.queue: list[bytes] = []
        self.next = 0
        self.sent_at: dict[int, float] = {}
        self.result = SubmitResult()
        self.accepted_ids: set[str] = set()
        self.receipts: dict[str, int] = {}  # receipted message id -> receipts seen
        self.receipt_last = 0.0

    @classmethod
    async def bind(cls, endpoint: SmppEndpoint) -> Esme:
        loop = asyncio.get_running_loop()
        _, esme = await loop.create_connection(cls, endpoint.host, endpoint.port)
        assert esme.transport is not None
        pdu = BindTransceiver(
            sequence_number=0x7FFFFFFF, system_id=endpoint.system_id, password=endpoint.password
        )
        esme.transport.write(encode(pdu))
        status = await asyncio.wait_for(esme.bound, 30)
        if status:
            esme.transport.close()
            raise ConnectionError(f"bind refused with command_status 0x{status:X}")
        return esme

    @property
    def unique_receipts(self) -> int:
        return len(self.receipts)

    @property
    def duplicate_receipts(self) -> int:
        return sum(self.receipts.values()) - len(self.receipts)

    async def submit_all(self, pdus: list[bytes], window: int, time_limit: float) -> SubmitResult:
        """Send pre-encoded submit_sm (sequence numbers 1..n) keeping `window` in flight."""
        assert self.transport is not None
        self.queue, self.next = pdus, 0
        self.result = SubmitResult()
        self.receipts, self.receipt_last = {}, 0.0
        self.done = self.loop.create_future()
        if not pdus:
            return self.result
        self.result.started = time.monotonic()
        self._send(window)
        try:
            await asyncio.wait_for(asyncio.shield(self.done), time_limit)
        except TimeoutError:
            self.result.timed_out = True
        self.result.elapsed = time.monotonic() - self.result.started
        return self.result

    def _send(self, room: int) -> None:
        assert self.transport is not None
        end = min(len(self.queue), self.next + room)
        now = time.monotonic()
        for i in range(self.next, end):
            self.sent_at[i + 1] = now
        self.transport.write(b"".join(self.queue[self.next : end]))
        self.result.submitted += end - self.next
        self.next = end

    async def close(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(encode(Unbind(sequence_number=0x7FFFFFFE)))
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), 5)
        except TimeoutError:
            pass
        finally:
            self.transport.close()

    # --- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self.bound, self.closed, self.done):
            if future is not None and not future.done():
                future.set_exception(ConnectionError("the gateway closed the SMPP connection"))
        for future in (self.bound, self.closed, self.done):
            if future is not None and future.done() and not future.cancelled():
                future.exception()  # mark it retrieved

    def data_received(self, data: bytes) -> None:
        self.buf += data
        try:
            frames = split_frames(self.buf)
        except PduError:
            assert self.transport is not None
            self.transport.abort()
            return
        out: list[bytes] = []
        answered = 0
        now = time.monotonic()
        result = self.result
        for frame in frames:
            _length, command_id, status, seq = HEADER.unpack_from(frame)
            if command_id in (SUBMIT_SM_RESP, GENERIC_NACK):
                started = self.sent_at.pop(seq, None)
                if started is None:
                    continue
                answered += 1
                result.latencies.append(now - started)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status == 0:
                    result.accepted += 1
                    self.accepted_ids.add(frame[16 : frame.find(0, 16)].decode("latin-1"))
            elif command_id == DELIVER_SM:
                out.append(self._on_deliver(frame, seq, now))
            elif command_id == ENQUIRE_LINK:
                out.append(encode(EnquireLinkResp(sequence_number=seq)))
            elif command_id == UNBIND:
                out.append(encode(UnbindResp(sequence_number=seq)))
            elif command_id == BIND_TRANSCEIVER_RESP and not self.bound.done():
                self.bound.set_result(status)
            elif command_id == UNBIND_RESP and not self.closed.done():
                self.closed.set_result(None)
        if out and self.transport is not None:
            self.transport.write(b"".join(out))
        if answered and self.done is not None and not self.done.done():
            if self.next < len(self.queue):
                self._send(answered)
            elif not self.sent_at:
                self.done.set_result(None)

    def _on_deliver(self, frame: bytes, seq: int, now: float) -> bytes:
        try:
            pdu = decode(frame)
            if isinstance(pdu, DeliverSm) and is_receipt(pdu):
                message_id = receipt_from_pdu(pdu).message_id
                self.receipts[message_id] = self.receipts.get(message_id, 0) + 1
                self.receipt_last = now
        except (PduError, ReceiptError):
            pass
        return encode(DeliverSmResp(sequence_number=seq))
