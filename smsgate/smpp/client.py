"""The ESME side: connect, bind, keep the bind alive, submit with a window, take deliveries.

`SmppClient` reconnects with exponential back-off (a refused bind waits longer, so a wrong
password does not hammer the SMSC). Inbound deliver_sm/data_sm go to an async handler and
are answered only after it returns, so the caller can commit a receipt before the ack.
"""

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass, field, replace
from typing import Literal, ParamSpec

from smsgate.smpp.codec import make_response, response_class
from smsgate.smpp.connection import Connection
from smsgate.smpp.constants import INTERFACE_VERSION, CommandStatus
from smsgate.smpp.errors import BindError, ConnectionLost, PduError, ResponseTimeout, SmppError
from smsgate.smpp.events import Role
from smsgate.smpp.pdu import (
    BindPdu,
    BindReceiver,
    BindTransceiver,
    BindTransmitter,
    DataSm,
    DataSmResp,
    DeliverSm,
    DeliverSmResp,
    Pdu,
    SubmitSm,
    SubmitSmResp,
)
from smsgate.smpp.session import Session, SessionConfig

log = logging.getLogger(__name__)

# The longest wait between connection attempts (Kannel's and Jasmin's fixed delay): a
# peer back from an outage is connected to again within this.
MAX_RECONNECT_DELAY = 10.0


def next_reconnect_delay(delay: float, longest: float = MAX_RECONNECT_DELAY) -> float:
    """The wait after the next failed attempt: twice `delay`, at most `longest`."""
    return min(delay * 2, longest)


BindKind = Literal["trx", "tx", "rx"]
InboundHandler = Callable[[DeliverSm | DataSm], Awaitable[int | None]]
_BIND_CLASSES: dict[str, type[BindPdu]] = {
    "trx": BindTransceiver,
    "tx": BindTransmitter,
    "rx": BindReceiver,
}


@dataclass(eq=False, slots=True)
class SmppClient:
    """An ESME bound to one SMSC. Use `connect()` or `await SmppClient(...).start()`."""

    host: str
    port: int
    _: KW_ONLY
    system_id: str
    password: str = field(repr=False)
    system_type: str = ""
    bind: BindKind = "trx"
    window: int = 10
    enquire_link_interval: float | None = 30.0
    response_timeout: float = 30.0
    on_message: InboundHandler | None = None
    ssl_context: ssl.SSLContext | None = None
    reconnect: bool = True
    reconnect_delay: float = 1.0
    max_reconnect_delay: float = MAX_RECONNECT_DELAY
    bind_failure_delay: float = 30.0
    connect_timeout: float = 10.0
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""
    binds: int = field(init=False, default=0)  # successful binds so far, reconnects included
    _bind_pdu: BindPdu = field(init=False, repr=False)
    _config: SessionConfig = field(init=False)
    _connection: Connection | None = field(init=False, default=None)
    # Set while bound, and for good once the client stops; waiters re-check after waking.
    _ready: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    _stopped: bool = field(init=False, default=False)
    _closing: bool = field(init=False, default=False)
    _supervisor: asyncio.Task[None] | None = field(init=False, default=None)
    _first_outcome: asyncio.Future[None] | None = field(init=False, default=None)
    _inbound: set[asyncio.Task[None]] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self._bind_pdu = _BIND_CLASSES[self.bind](
            system_id=self.system_id,
            password=self.password,
            system_type=self.system_type,
            interface_version=INTERFACE_VERSION,
            addr_ton=self.addr_ton,
            addr_npi=self.addr_npi,
            address_range=self.address_range,
        )
        self._config = SessionConfig(
            role=Role.ESME,
            window=self.window,
            response_timeout=self.response_timeout,
            enquire_link_interval=self.enquire_link_interval,
        )

    @property
    def bound(self) -> bool:
        return self._connection is not None and not self._connection.closed

    async def start(self) -> None:
        """Connect and bind; raise BindError or OSError if the first attempt fails."""
        loop = asyncio.get_running_loop()
        self._first_outcome = loop.create_future()
        self._supervisor = loop.create_task(self._supervise())
        try:
            await self._first_outcome
        except BaseException:
            await self.close()
            raise

    async def wait_bound(self) -> None:
        await self._wait_connection()

    async def submit(self, pdu: SubmitSm) -> SubmitSmResp:
        """Send submit_sm once bound and the window has room; return submit_sm_resp.

        A non-zero command_status comes back in the response, not as an exception.
        ConnectionLost and ResponseTimeout mean the outcome is unknown.
        """
        response = await self.request(pdu)
        if not isinstance(response, SubmitSmResp):  # a generic_nack
            return SubmitSmResp(
                command_status=response.command_status or CommandStatus.ESME_RUNKNOWNERR,
                sequence_number=response.sequence_number,
            )
        return response

    async def request(self, pdu: Pdu) -> Pdu:
        """Send any request (query_sm, data_sm, ...) and return its response."""
        connection = await self._wait_connection()
        return await connection.request(pdu)

    async def _wait_connection(self) -> Connection:
        while True:
            if self._closing:
                raise SmppError("client closed")
            connection = self._connection
            if connection is not None and not connection.closed:
                return connection
            if self._stopped:
                raise ConnectionLost("not connected, and not reconnecting")
            if connection is not None:
                self._ready.clear()  # closed but not yet noticed by the supervisor
            await self._ready.wait()

    async def close(self, *, drain: bool = False) -> None:
        """Let inbound handlers finish and answer, unbind, and stop reconnecting; with
        `drain`, no new request is sent and those sent get their answers first."""
        self._closing = True
        self._ready.set()  # wake callers waiting for a bind; they see _closing
        if drain and self._connection is not None:
            await self._connection.settled()
        if self._inbound:
            await asyncio.gather(*self._inbound, return_exceptions=True)
        if self._connection is not None:
            await self._connection.unbind()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor

    def abort(self) -> None:
        """Drop the connection at once, without unbinding, and stop reconnecting."""
        self._closing = True
        self._ready.set()
        if self._connection is not None:
            self._connection.abort()
        if self._supervisor is not None:
            self._supervisor.cancel()

    async def __aenter__(self) -> "SmppClient":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- connection life -----------------------------------------------------------------

    async def _supervise(self) -> None:
        try:
            await self._reconnect_forever()
        finally:
            self._stopped = True
            self._ready.set()

    async def _reconnect_forever(self) -> None:
        delay = self.reconnect_delay
        while not self._closing:
            try:
                await self._connect_and_serve()
                delay = self.reconnect_delay
            except BindError as exc:
                log.warning("SMPP bind to %s:%s refused: %s", self.host, self.port, exc)
                if not self._report_first(exc) or not self.reconnect:
                    return
                await asyncio.sleep(self.bind_failure_delay)
                continue
            except (OSError, TimeoutError, SmppError, PduError) as exc:
                log.warning("SMPP connection to %s:%s failed: %s", self.host, self.port, exc)
                if not self._report_first(exc) or not self.reconnect:
                    return
            if self._closing or not self.reconnect:
                return
            await asyncio.sleep(delay)
            delay = next_reconnect_delay(delay, self.max_reconnect_delay)

    def _report_first(self, exc: BaseException) -> bool:
        """Hand the first attempt's failure to start(); False means stop trying."""
        first = self._first_outcome
        if first is not None and not first.done():
            first.set_exception(exc)
            return False
        return True

    async def _connect_and_serve(self) -> None:
        async with asyncio.timeout(self.connect_timeout):
            reader, writer = await asyncio.open_connection(
                self.host, self.port, ssl=self.ssl_context
            )
        loop = asyncio.get_running_loop()
        session = Session(self._config, loop.time())
        connection = Connection(
            reader, writer, session, lambda pdu: self._on_request(connection, pdu)
        )
        runner = loop.create_task(connection.run())
        try:
            try:
                response = await connection.request(replace(self._bind_pdu, tlvs={}))
            except (ConnectionLost, ResponseTimeout, PduError) as exc:
                raise ConnectionLost(f"bind failed: {exc}") from exc
            if response.command_status != 0:
                raise BindError(response.command_status)
            self._connection = connection
            self.binds += 1
            self._ready.set()
            if self._first_outcome is not None and not self._first_outcome.done():
                self._first_outcome.set_result(None)
            await runner
        finally:
            if not self._closing and not self._stopped:
                self._ready.clear()
            if self._connection is connection:
                self._connection = None
            connection.close()
            await runner

    def _on_request(self, connection: Connection, pdu: Pdu) -> None:
        if not isinstance(pdu, DeliverSm | DataSm):
            log.info("ignoring %s from the SMSC", type(pdu).__name__)
            if response_class(pdu) is not None:
                connection.respond(pdu, make_response(pdu, CommandStatus.ESME_RINVCMDID))
            return
        task = asyncio.get_running_loop().create_task(self._deliver(connection, pdu))
        self._inbound.add(task)
        task.add_done_callback(self._inbound.discard)

    async def _deliver(self, connection: Connection, pdu: DeliverSm | DataSm) -> None:
        status = 0
        if self.on_message is not None:
            try:
                status = await self.on_message(pdu) or 0
            except Exception:
                log.exception("inbound handler failed; answering ESME_RX_T_APPN")
                status = CommandStatus.ESME_RX_T_APPN
        response: Pdu = DeliverSmResp() if isinstance(pdu, DeliverSm) else DataSmResp()
        response.command_status = status
        connection.respond(pdu, response)


P = ParamSpec("P")


def _started(make: Callable[P, SmppClient]) -> Callable[P, Awaitable[SmppClient]]:
    """`make` a client, then start it."""

    async def started(*args: P.args, **kwargs: P.kwargs) -> SmppClient:
        client = make(*args, **kwargs)
        await client.start()
        return client

    return started


connect = _started(SmppClient)
"""Connect, bind and return a running client (raises BindError / OSError on failure);
takes the arguments of `SmppClient`."""
