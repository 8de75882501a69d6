"""What a Session reports to its driver: the events and the bind states.

Events are plain frozen values; the asyncio shell (connection.py) decides what to do
with each (resolve a future, call a handler, close the socket).
"""

from dataclasses import dataclass
from enum import Enum

from smsgate.smpp.errors import PduError
from smsgate.smpp.pdu import Pdu


class Role(Enum):
    ESME = "esme"
    SMSC = "smsc"


class BindState(Enum):
    OPEN = "open"
    BOUND_TX = "bound_tx"
    BOUND_RX = "bound_rx"
    BOUND_TRX = "bound_trx"
    UNBOUND = "unbound"
    CLOSED = "closed"

    @property
    def is_bound(self) -> bool:
        return self in (BindState.BOUND_TX, BindState.BOUND_RX, BindState.BOUND_TRX)

    @property
    def can_receive(self) -> bool:
        """An ESME in this state takes deliver_sm (it is an RX or TRX bind)."""
        return self in (BindState.BOUND_RX, BindState.BOUND_TRX)

    @property
    def can_transmit(self) -> bool:
        return self in (BindState.BOUND_TX, BindState.BOUND_TRX)


@dataclass(frozen=True, slots=True)
class PduReceived:
    """A request from the peer; answer it with Session.send_response (unless it takes none)."""

    pdu: Pdu


@dataclass(frozen=True, slots=True)
class ResponseReceived:
    request: Pdu
    response: Pdu


@dataclass(frozen=True, slots=True)
class ResponseTimedOut:
    """No response to `request` within the response timeout: its outcome is unknown."""

    request: Pdu


@dataclass(frozen=True, slots=True)
class InactivityTimeout:
    """Nothing arrived from the peer for the inactivity timeout."""


@dataclass(frozen=True, slots=True)
class SessionInitTimeout:
    """The peer connected but did not bind in time."""


@dataclass(frozen=True, slots=True)
class Unbound:
    """The unbind handshake finished (either side started it); close the connection."""


@dataclass(frozen=True, slots=True)
class ProtocolError:
    """A PDU we could not read; `fatal` means the stream is lost and must be closed.

    `request` is set when the unreadable PDU was the response to one of our requests,
    whose outcome is therefore unknown.
    """

    error: PduError
    fatal: bool
    request: Pdu | None = None


Event = (
    PduReceived
    | ResponseReceived
    | ResponseTimedOut
    | InactivityTimeout
    | SessionInitTimeout
    | Unbound
    | ProtocolError
)
