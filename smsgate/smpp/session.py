"""The sans-IO SMPP session: bytes and time in, events and bytes out.

It owns bind state, sequence numbers, the window of outstanding requests and every timer
(response, enquire_link, inactivity, session init). It never reads a clock or a socket:
`now` is an argument and the bytes to send wait in `data_to_send()`.
"""

from dataclasses import dataclass

from smsgate.smpp.codec import DEFAULT_MAX_LENGTH, decode, encode, make_response, split_frames
from smsgate.smpp.constants import MAX_SEQUENCE_NUMBER, RESPONSE_BIT, CommandId, CommandStatus
from smsgate.smpp.errors import PduError, SessionError, WindowFull
from smsgate.smpp.events import (
    BindState,
    Event,
    InactivityTimeout,
    PduReceived,
    ProtocolError,
    ResponseReceived,
    ResponseTimedOut,
    Role,
    SessionInitTimeout,
    Unbound,
)
from smsgate.smpp.pdu import PDU_CLASSES, EnquireLink, GenericNack, Pdu, Unbind

_BINDS: dict[int, BindState] = {
    CommandId.BIND_TRANSMITTER: BindState.BOUND_TX,
    CommandId.BIND_RECEIVER: BindState.BOUND_RX,
    CommandId.BIND_TRANSCEIVER: BindState.BOUND_TRX,
}
_ESME_SUBMITS = frozenset(
    {
        CommandId.SUBMIT_SM,
        CommandId.SUBMIT_MULTI,
        CommandId.DATA_SM,
        CommandId.QUERY_SM,
        CommandId.CANCEL_SM,
        CommandId.REPLACE_SM,
    }
)
_SMSC_DELIVERS = frozenset({CommandId.DELIVER_SM, CommandId.DATA_SM, CommandId.ALERT_NOTIFICATION})
_ALWAYS = frozenset({CommandId.ENQUIRE_LINK, CommandId.UNBIND})
# Requests each role may send in each state (SMPP 3.4 table 2-1); the peer receives them.
_SENDS: dict[Role, dict[BindState, frozenset[int]]] = {
    Role.ESME: {
        BindState.OPEN: frozenset(_BINDS) | {CommandId.ENQUIRE_LINK},
        BindState.BOUND_TX: _ESME_SUBMITS | _ALWAYS,
        BindState.BOUND_RX: _ALWAYS,
        BindState.BOUND_TRX: _ESME_SUBMITS | _ALWAYS,
    },
    Role.SMSC: {
        BindState.OPEN: frozenset({CommandId.OUTBIND, CommandId.ENQUIRE_LINK}),
        BindState.BOUND_TX: _ALWAYS,
        BindState.BOUND_RX: _SMSC_DELIVERS | _ALWAYS,
        BindState.BOUND_TRX: _SMSC_DELIVERS | _ALWAYS,
    },
}
_NO_RESPONSE = frozenset({CommandId.OUTBIND, CommandId.ALERT_NOTIFICATION, CommandId.GENERIC_NACK})
# Control requests bypass the window so keep-alive and shutdown work when it is full.
_OUTSIDE_WINDOW = frozenset({*_BINDS, CommandId.ENQUIRE_LINK, CommandId.UNBIND})


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Timers are in seconds; None disables one."""

    role: Role
    window: int = 10
    response_timeout: float = 30.0
    enquire_link_interval: float | None = 30.0
    inactivity_timeout: float | None = None
    session_init_timeout: float | None = None
    max_pdu_length: int = DEFAULT_MAX_LENGTH


class Session:
    def __init__(self, config: SessionConfig, now: float) -> None:
        self.config = config
        self._state = BindState.OPEN
        self._peer_sends = _SENDS[Role.SMSC if config.role is Role.ESME else Role.ESME]
        self._we_send = _SENDS[config.role]
        self._inbuf = bytearray()
        self._out: list[bytes] = []
        self._pending: dict[int, tuple[Pdu, float]] = {}
        self._in_window = 0
        self._inbound = 0
        self._next_seq = 1
        self._opened_at = now
        self._last_received = now
        self._last_enquire = now
        self._enquire_seq: int | None = None
        self._unbind_sent = False
        self._init_timer_fired = False
        self._inactivity_fired = False

    # --- state ---------------------------------------------------------------------------

    @property
    def state(self) -> BindState:
        return self._state

    @property
    def outstanding(self) -> int:
        """Our requests that count against the window and still await a response."""
        return self._in_window

    @property
    def window_free(self) -> int:
        return max(self.config.window - self._in_window, 0)

    @property
    def inbound_outstanding(self) -> int:
        """Peer requests reported as PduReceived and not answered yet."""
        return self._inbound

    def data_to_send(self) -> bytes:
        out = b"".join(self._out)
        self._out.clear()
        return out

    def close(self) -> list[Pdu]:
        """Mark the session closed; returns the requests left without a response."""
        self._state = BindState.CLOSED
        left = [request for request, _ in self._pending.values()]
        self._pending.clear()
        self._in_window = 0
        self._out.clear()
        return left

    # --- sending -------------------------------------------------------------------------

    def send_request(self, pdu: Pdu, now: float) -> Pdu:
        """Queue a request with the next sequence number (set on `pdu`) and track it."""
        command_id = pdu.command_id
        if self._state is BindState.CLOSED or self._state is BindState.UNBOUND:
            raise SessionError(f"session is {self._state.value}")
        if command_id not in self._we_send[self._state] or (
            self._unbind_sent and command_id != CommandId.ENQUIRE_LINK
        ):
            raise SessionError(f"{type(pdu).__name__} not allowed in {self._state.value}")
        counted = command_id not in _OUTSIDE_WINDOW
        if counted and self._in_window >= self.config.window:
            raise WindowFull(f"{self._in_window} requests outstanding")
        pdu.sequence_number = self._allocate_sequence()
        self._out.append(encode(pdu))
        if command_id in _NO_RESPONSE:
            return pdu
        self._pending[pdu.sequence_number] = (pdu, now + self.config.response_timeout)
        if counted:
            self._in_window += 1
        if command_id == CommandId.UNBIND:
            self._unbind_sent = True
        return pdu

    def send_response(self, request: Pdu, response: Pdu) -> None:
        """Answer a PduReceived request; a successful bind_resp moves the bind state."""
        if self._state is BindState.CLOSED:
            raise SessionError("session is closed")
        response.sequence_number = request.sequence_number
        self._out.append(encode(response))
        self._inbound = max(self._inbound - 1, 0)
        bound_state = _BINDS.get(request.command_id)
        if (
            bound_state is not None
            and response.command_status == 0
            and self._state is BindState.OPEN
        ):
            self._state = bound_state

    def _allocate_sequence(self) -> int:
        seq = self._next_seq
        while seq in self._pending:
            seq = seq % MAX_SEQUENCE_NUMBER + 1
        self._next_seq = seq % MAX_SEQUENCE_NUMBER + 1
        return seq

    # --- receiving -----------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> list[Event]:
        if self._state is BindState.CLOSED:
            return []
        self._inbuf += data
        self._last_received = now
        self._inactivity_fired = False
        events: list[Event] = []
        while True:
            try:
                frames = split_frames(self._inbuf, self.config.max_pdu_length)
            except PduError as exc:
                self._out.append(encode(GenericNack(command_status=exc.command_status)))
                self._inbuf.clear()
                self._state = BindState.CLOSED
                events.append(ProtocolError(exc, fatal=True))
                return events
            if not frames:
                return events
            for frame in frames:
                self._receive_frame(frame, now, events)

    def _receive_frame(self, frame: bytes, now: float, events: list[Event]) -> None:
        try:
            pdu = decode(frame)
        except PduError as exc:
            self._answer_undecodable(exc, events)
            return
        if pdu.command_id & RESPONSE_BIT:
            self._receive_response(pdu, events)
            return
        command_id = pdu.command_id
        if command_id == CommandId.ENQUIRE_LINK:
            self._out.append(encode(make_response(pdu)))
        elif command_id == CommandId.UNBIND:
            self._out.append(encode(make_response(pdu)))
            self._state = BindState.UNBOUND
            events.append(Unbound())
        elif command_id in self._peer_sends.get(self._state, ()):
            if command_id not in _NO_RESPONSE:
                self._inbound += 1
            events.append(PduReceived(pdu))
        elif command_id in _NO_RESPONSE:
            error = PduError(
                CommandStatus.ESME_RINVBNDSTS, f"{type(pdu).__name__} in {self._state.value}"
            )
            events.append(ProtocolError(error, fatal=False))
        else:
            status = (
                CommandStatus.ESME_RALYBND
                if command_id in _BINDS
                else CommandStatus.ESME_RINVBNDSTS
            )
            self._out.append(encode(make_response(pdu, status)))

    def _receive_response(self, pdu: Pdu, events: list[Event]) -> None:
        entry = self._pending.pop(pdu.sequence_number, None)
        if entry is None:
            error = PduError(
                CommandStatus.ESME_RINVCMDID,
                f"response to unknown sequence {pdu.sequence_number}",
                sequence_number=pdu.sequence_number,
                command_id=pdu.command_id,
            )
            events.append(ProtocolError(error, fatal=False))
            return
        request = entry[0]
        if request.command_id not in _OUTSIDE_WINDOW:
            self._in_window -= 1
        command_id = request.command_id
        if pdu.command_status == 0 and command_id in _BINDS and self._state is BindState.OPEN:
            self._state = _BINDS[command_id]
        if self._enquire_seq == pdu.sequence_number:
            self._enquire_seq = None
            return
        events.append(ResponseReceived(request, pdu))
        if command_id == CommandId.UNBIND:
            self._state = BindState.UNBOUND
            events.append(Unbound())

    def _answer_undecodable(self, exc: PduError, events: list[Event]) -> None:
        command_id, seq = exc.command_id, exc.sequence_number or 0
        if command_id is not None and command_id & RESPONSE_BIT and seq in self._pending:
            request = self._pending.pop(seq)[0]
            if request.command_id not in _OUTSIDE_WINDOW:
                self._in_window -= 1
            if seq == self._enquire_seq:
                self._enquire_seq = None
            events.append(ProtocolError(exc, fatal=False, request=request))
            return
        events.append(ProtocolError(exc, fatal=False))
        if command_id is not None and command_id & RESPONSE_BIT:
            return
        header_problem = exc.command_status in (
            CommandStatus.ESME_RINVCMDID,
            CommandStatus.ESME_RINVCMDLEN,
        )
        if command_id is None or header_problem:
            reply: Pdu = GenericNack(command_status=exc.command_status, sequence_number=seq)
        else:
            request_cls = PDU_CLASSES[command_id]
            reply = make_response(request_cls(sequence_number=seq), exc.command_status)
        self._out.append(encode(reply))

    # --- timers --------------------------------------------------------------------------

    def tick(self, now: float) -> list[Event]:
        events: list[Event] = []
        # Deadlines grow with insertion order (one timeout, monotonic now): stop at the first
        # one still in the future.
        expired: list[int] = []
        for seq, (_, deadline) in self._pending.items():
            if deadline > now:
                break
            expired.append(seq)
        for seq in expired:
            request = self._pending.pop(seq)[0]
            if request.command_id not in _OUTSIDE_WINDOW:
                self._in_window -= 1
            if seq == self._enquire_seq:
                self._enquire_seq = None
            events.append(ResponseTimedOut(request))
        config = self.config
        if self._state is BindState.OPEN:
            init = config.session_init_timeout
            if init is not None and not self._init_timer_fired and now - self._opened_at >= init:
                self._init_timer_fired = True
                events.append(SessionInitTimeout())
            return events
        if not self._state.is_bound:
            return events
        idle = config.inactivity_timeout
        if idle is not None and not self._inactivity_fired and now - self._last_received >= idle:
            self._inactivity_fired = True
            events.append(InactivityTimeout())
        due = self._enquire_link_due()
        if due is not None and now >= due and not self._unbind_sent:
            self._last_enquire = now
            self._enquire_seq = self.send_request(EnquireLink(), now).sequence_number
        return events

    def _enquire_link_due(self) -> float | None:
        interval = self.config.enquire_link_interval
        if interval is None or self._enquire_seq is not None:
            return None
        return max(self._last_received, self._last_enquire) + interval

    def next_deadline(self) -> float | None:
        """The earliest time `tick` has something to do, or None."""
        candidates: list[float] = []
        if self._pending:
            candidates.append(next(iter(self._pending.values()))[1])
        config = self.config
        if self._state is BindState.OPEN:
            if config.session_init_timeout is not None and not self._init_timer_fired:
                candidates.append(self._opened_at + config.session_init_timeout)
        elif self._state.is_bound:
            if config.inactivity_timeout is not None and not self._inactivity_fired:
                candidates.append(self._last_received + config.inactivity_timeout)
            due = self._enquire_link_due()
            if due is not None and not self._unbind_sent:
                candidates.append(due)
        return min(candidates) if candidates else None

    def request_unbind(self, now: float) -> Pdu:
        return self.send_request(Unbind(), now)
