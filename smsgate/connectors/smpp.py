"""The SMPP upstream: an operator's SMSC reached through one or several ESME binds.

`SmppUpstream` implements `services.ports.Upstream` on `smsgate.smpp.SmppClient`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import ssl
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from smsgate.connectors.smpp_pdus import submit_pdus
from smsgate.connectors.smpp_settings import SmppSettings
from smsgate.connectors.throughput import TokenBucket
from smsgate.core.messages import Message, PartStatus
from smsgate.core.receipts import part_status_for_stat
from smsgate.services.connector_state import RECENT_ERRORS, ConnectorLive
from smsgate.services.inbound import FLAG_CODING, FLAG_UDH, mo_text
from smsgate.services.ports import (
    Clock,
    MoSink,
    ReceiptSink,
    ReceiptUpdate,
    UpstreamPart,
    UpstreamResult,
)
from smsgate.smpp import (
    BindError,
    CommandStatus,
    DataSm,
    DeliverSm,
    EsmClass,
    ReceiptError,
    SmppClient,
    SmppError,
    SubmitSm,
    is_receipt,
    next_reconnect_delay,
    normalize_message_id,
    receipt_from_pdu,
    status_name,
    tlv,
)
from smsgate.text import (
    ConcatInfo,
    Encoding,
    TextError,
    check_concat,
    encoding_for_data_coding,
    parse_udh,
)

log = logging.getLogger(__name__)
BINARY = Encoding.BINARY.value

TEMPORARY_STATUSES = frozenset(
    {CommandStatus.ESME_RTHROTTLED, CommandStatus.ESME_RMSGQFUL, CommandStatus.ESME_RSYSERR}
)


# Seconds a closing bind lets the submits in flight be answered and unbinds before it
# is cut (an operator that stopped answering must not hold a shutdown).
CLOSE_GRACE = 5.0


def describe_status(status: int) -> str:
    return f"{status_name(status)} (0x{status:08X})"


@dataclass(eq=False, slots=True)
class _BindSlot:
    """One bind slot while open: its binding tasks, clients and throughput share."""

    bucket: TokenBucket | None
    binders: list[asyncio.Task[None]] = field(default_factory=list)
    clients: list[SmppClient] = field(default_factory=list)
    transmitters: list[SmppClient] = field(default_factory=list)


class SmppUpstream:
    """Implements `services.ports.Upstream` over one or several SMPP binds.

    It turns a message into the submit_sm parts of its stored plan (encoding,
    concatenation, parts; the dispatcher re-plans a message planned for another connector
    first), sends them in order under a throughput limit, retries temporary refusals
    itself, and turns deliver_sm into receipts (to the sink) or MO (to the inbound use
    case), acknowledging after they commit.
    """

    def __init__(
        self, name: str, settings: SmppSettings, clock: Clock, mo_sink: MoSink | None = None
    ) -> None:
        self.name = name
        self.settings = settings
        # Parts of a message go out one after the other: a message fills one slot at a time.
        self.window = settings.window * settings.binds
        self._clock = clock
        self._mo_sink = mo_sink
        self._sink: ReceiptSink | None = None
        self._references = itertools.count(1)
        self._turn = itertools.count()
        self._deferred = False  # binds open only by open_slot (services.ownership)
        self._running = False
        self._slots: dict[int, _BindSlot] = {}
        self._closing: dict[int, asyncio.Future[None]] = {}
        # what `live` reports: parts in flight and sent, the latest errors
        self._in_flight = 0
        self._submitted = 0
        self._errors: deque[tuple[float, str]] = deque(maxlen=RECENT_ERRORS)

    # --- life ------------------------------------------------------------------------------

    async def start(self, sink: ReceiptSink) -> None:
        """Start binding in the background: an unreachable SMSC never blocks the gateway."""
        self._sink = sink
        self._running = True
        if not self._deferred:
            for slot in range(self.settings.binds):
                self.open_slot(slot)

    async def close(self) -> None:
        """Stop binding, let deliveries in progress finish and answer, then unbind."""
        self._running = False
        for slot in list(self._slots):
            await self.close_slot(slot)
        if self._closing:
            await asyncio.wait(list(self._closing.values()))

    # --- bind slots (services.ownership.SlottedUpstream) ------------------------------------

    def bind_slots(self) -> int:
        return self.settings.binds

    def defer_binds(self) -> None:
        self._deferred = True

    def open_slot(self, slot: int) -> None:
        """Bind slot `slot` (a transceiver, or a transmitter and a receiver) in the
        background, with its share of the throughput limit; once the slot's earlier binds
        are closed, if they are still closing."""
        s = self.settings
        if not self._running or slot in self._slots or not 0 <= slot < s.binds:
            return
        rate = s.throughput / s.binds if s.throughput else None
        opened = self._slots[slot] = _BindSlot(TokenBucket(rate) if rate else None)
        kinds: list[Literal["trx", "tx", "rx"]] = ["trx"] if s.bind == "trx" else ["tx", "rx"]
        closing = self._closing.get(slot)
        for kind in kinds:
            binding = self._keep_binding(opened, kind, closing)
            opened.binders.append(asyncio.create_task(binding))
        self._resize()

    def slot_bound(self, slot: int) -> bool:
        opened = self._slots.get(slot)
        return opened is not None and any(c.bound for c in opened.transmitters)

    async def close_slot(self, slot: int) -> None:
        """Returns once the slot's binds are closed, also when another caller began: no
        new submit goes out on them, those in flight are answered, then they unbind
        (what is still open after CLOSE_GRACE seconds is cut)."""
        opened = self._slots.pop(slot, None)
        if opened is not None:
            self._resize()
            self._close(slot, opened, CLOSE_GRACE)
        closing = self._closing.get(slot)
        if closing is not None:
            await asyncio.shield(closing)

    def drop_slots(self, grace: float) -> None:
        """Returns at once. No new submit goes out on any bind; those in flight have
        `grace` seconds to be answered and the binds to unbind, then they are cut."""
        slots, self._slots = self._slots, {}
        self._resize()
        for slot, opened in slots.items():
            self._close(slot, opened, grace)

    def _close(self, slot: int, opened: _BindSlot, grace: float) -> None:
        closing = asyncio.ensure_future(self._unbind(opened, grace))
        self._closing[slot] = closing

        def closed(_: object) -> None:
            if self._closing.get(slot) is closing:
                del self._closing[slot]

        closing.add_done_callback(closed)

    async def _unbind(self, opened: _BindSlot, grace: float) -> None:
        for task in opened.binders:
            task.cancel()
        try:
            async with asyncio.timeout(grace):
                for task in opened.binders:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await asyncio.gather(*(c.close(drain=True) for c in opened.clients))
        except TimeoutError:
            log.warning("connector %s: binds not closed within %ss; cutting", self.name, grace)
        finally:
            for client in opened.clients:
                client.abort()

    def _resize(self) -> None:
        self.window = self.settings.window * max(1, len(self._slots))

    async def _keep_binding(
        self,
        slot: _BindSlot,
        kind: Literal["trx", "tx", "rx"],
        after: asyncio.Future[None] | None = None,
    ) -> None:
        """Retry the first bind until it succeeds (once `after` is done, when given: the
        slot's earlier binds closing); the client reconnects by itself after."""
        if after is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(after)
        s = self.settings
        delay = s.reconnect_delay
        while True:
            client = SmppClient(
                s.host,
                s.port,
                system_id=s.system_id,
                password=s.password,
                system_type=s.system_type,
                bind=kind,
                window=s.window,
                enquire_link_interval=s.enquire_link,
                response_timeout=s.response_timeout,
                on_message=self._on_deliver,
                ssl_context=ssl.create_default_context() if s.tls else None,
                reconnect_delay=s.reconnect_delay,
                bind_failure_delay=s.bind_failure_delay,
            )
            try:
                await client.start()
            except BindError as exc:
                log.warning("connector %s: bind refused: %s", self.name, exc)
                self._error(f"bind refused: {exc}")
                await asyncio.sleep(s.bind_failure_delay)
                continue
            except (OSError, TimeoutError, SmppError) as exc:
                log.warning("connector %s: cannot connect: %s", self.name, exc)
                self._error(f"cannot connect: {exc}")
                await asyncio.sleep(delay)
                delay = next_reconnect_delay(delay)
                continue
            slot.clients.append(client)
            if kind != "rx":
                slot.transmitters.append(client)
            return

    def live(self) -> ConnectorLive:
        """The binds up of the slots this node holds, window in use, parts sent, the latest
        errors (services.connector_state)."""
        kinds = 1 if self.settings.bind == "trx" else 2
        return ConnectorLive(
            binds_up=sum(1 for opened in self._slots.values() for c in opened.clients if c.bound),
            binds=len(self._slots) * kinds,
            window_used=self._in_flight,
            window=self.window,
            submitted=self._submitted,
            errors=tuple(self._errors),
        )

    def _error(self, text: str) -> None:
        self._errors.append((self._clock.now(), text))

    # --- submit ----------------------------------------------------------------------------

    def ready(self) -> bool:
        return any(self.slot_bound(slot) for slot in self._slots)

    async def submit(self, message: Message) -> UpstreamResult:
        try:
            pdus = self.submit_pdus(message)
        except (TextError, ValueError) as exc:
            return UpstreamResult(False, False, (), f"cannot encode for SMPP: {exc}")
        parts: list[UpstreamPart] = []
        for seq, pdu in enumerate(pdus, start=1):
            upstream_id, error, temporary = await self._submit_part(pdu)
            if upstream_id is None:
                return UpstreamResult(False, temporary, tuple(parts), error)
            parts.append(UpstreamPart(seq, upstream_id, None))
        return UpstreamResult(True, False, tuple(parts), None)

    async def _submit_part(self, pdu: SubmitSm) -> tuple[str | None, str, bool]:
        """(normalized id, "", False) once accepted, else (None, error, temporary)."""
        s = self.settings
        error = ""
        for attempt in range(s.retries + 1):
            if attempt:
                await asyncio.sleep(s.retry_delay * 2 ** (attempt - 1))
            picked = await self._transmitter()
            if picked is None:
                error = "not bound"
                continue
            client, bucket = picked
            if bucket is not None:
                await bucket.take()
            self._in_flight += 1
            try:
                response = await client.submit(pdu)
            except SmppError as exc:  # connection lost, response timeout, client closed
                error = f"{type(exc).__name__}: {exc}"
                self._error(error)
                continue
            finally:
                self._in_flight -= 1
            status = response.command_status
            if status == CommandStatus.ESME_ROK:
                self._submitted += 1
                return self.normalize_id(response.message_id), "", False
            error = describe_status(status)
            self._error(f"submit_sm: {error}")
            if status not in TEMPORARY_STATUSES:
                return None, error, False
        return None, error, True

    async def _transmitter(self) -> tuple[SmppClient, TokenBucket | None] | None:
        """A bound transmitting client and its slot's throughput limit, taking turns;
        waits up to response_timeout for one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.response_timeout
        while True:
            bound = [
                (client, slot.bucket)
                for slot in self._slots.values()
                for client in slot.transmitters
                if client.bound
            ]
            if bound:
                return bound[next(self._turn) % len(bound)]
            if loop.time() >= deadline or not self._slots:
                return None
            await asyncio.sleep(0.05)

    def normalize_id(self, raw: str) -> str:
        try:
            return normalize_message_id(raw, self.settings.id_format)
        except ValueError:
            log.warning("connector %s: id %r is not %s", self.name, raw, self.settings.id_format)
            return normalize_message_id(raw, "str")

    def submit_pdus(self, message: Message) -> list[SubmitSm]:
        """The submit_sm PDUs of one message, in order (raises TextError when unencodable)."""
        return submit_pdus(self.settings, message, next(self._references))

    # --- deliveries ------------------------------------------------------------------------

    async def _on_deliver(self, pdu: DeliverSm | DataSm) -> int | None:
        """Receipt or MO; the client answers with our return value after we return (an
        exception: ESME_RX_T_APPN, so the operator tries again)."""
        if is_receipt(pdu):
            await self._receipt(pdu)
        else:
            await self._mo(pdu)
        return CommandStatus.ESME_ROK

    async def _receipt(self, pdu: DeliverSm | DataSm) -> None:
        try:
            receipt = receipt_from_pdu(pdu)
        except ReceiptError as exc:
            log.warning("connector %s: unreadable receipt: %s", self.name, exc)
            return
        status = part_status_for_stat(receipt.stat)
        if status is None or self._sink is None:
            return  # intermediate (ENROUTE, ACCEPTD): the final one follows
        error = None
        if status is not PartStatus.DELIVERED:
            error = f"{receipt.stat} err:{receipt.error}" if receipt.error else receipt.stat
        update = ReceiptUpdate(
            self.name, self.normalize_id(receipt.message_id), status, error, self._clock.now()
        )
        await self._sink([update])

    async def _mo(self, pdu: DeliverSm | DataSm) -> None:
        """Hand an MO to the sink. One it cannot read is kept whole, as the raw bytes' hex
        under `binary` and flagged: a header that does not parse or part numbering no
        part can have (FLAG_UDH), a data_coding it does not know (FLAG_CODING)."""
        if self._mo_sink is None:
            return
        raw = pdu.short_message if isinstance(pdu, DeliverSm) else b""
        raw = raw or tlv.MESSAGE_PAYLOAD.get(pdu.tlvs) or b""
        source, destination = pdu.source_addr, pdu.destination_addr
        try:
            body, info = _concat_of(pdu, raw)
        except TextError as exc:
            log.warning("connector %s: MO with a broken header kept as hex: %s", self.name, exc)
            await self._mo_sink.receive(
                self.name, source, destination, raw.hex(), BINARY, 1, flag=FLAG_UDH
            )
            return
        flag = None
        try:
            encoding = encoding_for_data_coding(pdu.data_coding)
        except TextError:
            encoding, flag = Encoding.BINARY, FLAG_CODING
        if info is not None and info.total > 1:
            # Kept in the store until its last part arrives: acknowledged means committed.
            await self._mo_sink.receive_part(
                self.name, source, destination, info, body, encoding, flag=flag
            )
            return
        text, stored_as = mo_text(body, encoding)
        if stored_as != encoding.value:
            flag = FLAG_CODING
        await self._mo_sink.receive(self.name, source, destination, text, stored_as, 1, flag=flag)


def _concat_of(pdu: DeliverSm | DataSm, raw: bytes) -> tuple[bytes, ConcatInfo | None]:
    """The payload of an MO and where it sits in a concatenated one (a UDH or SAR TLVs);
    raises TextError for a header that does not parse or numbering no part can have."""
    if pdu.esm_class & EsmClass.UDHI:
        parsed = parse_udh(raw)
        return parsed.payload, parsed.concat
    if tlv.SAR_TOTAL_SEGMENTS.tag not in pdu.tlvs:
        return raw, None
    info = ConcatInfo(
        tlv.SAR_MSG_REF_NUM.get(pdu.tlvs) or 0,
        tlv.SAR_TOTAL_SEGMENTS.get(pdu.tlvs) or 0,
        tlv.SAR_SEGMENT_SEQNUM.get(pdu.tlvs) or 0,
    )
    check_concat(info)
    return raw, info
