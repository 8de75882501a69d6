"""The asyncio shell around a Session: the only module that awaits a socket.

It feeds received bytes to the session, writes what the session queues (coalesced: one
write per loop turn, drain only above a high-water mark), runs the session's timers with
`loop.call_at`, and turns response events into awaited futures.
"""

import asyncio
import contextlib
import logging
import socket
from collections import deque
from collections.abc import Callable

from smsgate.smpp import events
from smsgate.smpp.errors import ConnectionLost, ResponseTimeout, SessionError, WindowFull
from smsgate.smpp.pdu import EnquireLink, Pdu, Unbind
from smsgate.smpp.session import Session

log = logging.getLogger(__name__)

READ_SIZE = 256 * 1024
WRITE_HIGH_WATER = 256 * 1024


class Connection:
    """One SMPP connection. `on_request` gets each peer request to answer with `respond`."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        session: Session,
        on_request: Callable[[Pdu], None],
    ) -> None:
        self.session = session
        self._reader = reader
        self._writer = writer
        self._on_request = on_request
        self._loop = asyncio.get_running_loop()
        self._futures: dict[int, asyncio.Future[Pdu]] = {}
        self._window_waiters: deque[asyncio.Future[None]] = deque()
        self._inbound_space = asyncio.Event()
        self._closed = asyncio.Event()
        self._flush_handle: asyncio.Handle | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        sock = writer.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.peer: tuple[str, int] | None = writer.get_extra_info("peername")
        self.unbound = False  # the session ended with an unbind handshake

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    # --- the read loop -------------------------------------------------------------------

    async def run(self) -> None:
        """Read and dispatch until the peer or we close; then fail what is outstanding."""
        self._arm_timer()
        try:
            while not self._closed.is_set():
                if self.session.inbound_outstanding >= self.session.config.window:
                    # Backpressure: stop reading until the handlers answer.
                    self._inbound_space.clear()
                    await self._inbound_space.wait()
                    continue
                data = await self._reader.read(READ_SIZE)
                if not data:
                    break
                self._dispatch(self.session.receive_data(data, self._loop.time()))
                self._flush()
                self._arm_timer()
                if self._writer.transport.get_write_buffer_size() > WRITE_HIGH_WATER:
                    await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            log.debug("connection %s lost: %s", self.peer, exc)
        finally:
            await self._shutdown()

    def _dispatch(self, happened: list[events.Event]) -> None:
        for event in happened:
            if type(event) is events.ResponseReceived:
                self._resolve(event.request, event.response, None)
            elif type(event) is events.PduReceived:
                self._on_request(event.pdu)
            elif isinstance(event, events.ResponseTimedOut):
                self._resolve(event.request, None, ResponseTimeout(type(event.request).__name__))
                if isinstance(event.request, EnquireLink):
                    log.warning("enquire_link to %s unanswered; closing", self.peer)
                    self.abort()
            elif isinstance(event, events.ProtocolError):
                log.warning("protocol error from %s: %s", self.peer, event.error)
                if event.request is not None:
                    self._resolve(event.request, None, event.error)
                if event.fatal:
                    self.close()
            elif isinstance(event, events.Unbound):
                self.unbound = True
                self.close()
            elif isinstance(event, events.InactivityTimeout):
                log.info("%s inactive; unbinding", self.peer)
                self._start_unbind()
            elif isinstance(event, events.SessionInitTimeout):
                log.info("%s did not bind in time; closing", self.peer)
                self.close()

    def _resolve(self, request: Pdu, response: Pdu | None, error: Exception | None) -> None:
        future = self._futures.pop(request.sequence_number, None)
        if future is not None and not future.done():
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(response)  # type: ignore[arg-type]
        self._wake_window_waiter()

    def _wake_window_waiter(self) -> None:
        while self._window_waiters and self.session.window_free:
            waiter = self._window_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    # --- sending -------------------------------------------------------------------------

    async def request(self, pdu: Pdu) -> Pdu:
        """Send a request once the window has room; return its response.

        Raises ResponseTimeout, ConnectionLost (outcome unknown in both cases), PduError
        when the response was unreadable, or SessionError when the state forbids `pdu`.
        """
        while True:
            if self._closed.is_set():
                raise ConnectionLost("connection closed")
            now = self._loop.time()
            try:
                self.session.send_request(pdu, now)
                break
            except SessionError as exc:
                if not isinstance(exc, WindowFull):
                    raise
            waiter = self._loop.create_future()
            self._window_waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake_window_waiter()  # pass on the slot we were woken for
                raise
        future: asyncio.Future[Pdu] = self._loop.create_future()
        self._futures[pdu.sequence_number] = future
        self._schedule_flush()
        # Skip the deadline scan when the armed timer fires before this response is due.
        timer_at = self._timer_at
        if timer_at is None or timer_at > now + self.session.config.response_timeout:
            self._arm_timer()
        if self._writer.transport.get_write_buffer_size() > WRITE_HIGH_WATER:
            await self._writer.drain()
        return await future

    async def settled(self) -> None:
        """Return once every request sent so far has its response, or has failed."""
        while self._futures and not self._closed.is_set():
            await asyncio.wait(list(self._futures.values()))

    def send(self, pdu: Pdu) -> None:
        """Send a request that takes no response (alert_notification, outbind)."""
        self.session.send_request(pdu, self._loop.time())
        self._schedule_flush()

    def respond(self, request: Pdu, response: Pdu) -> None:
        if self._closed.is_set():
            return
        state = self.session.state
        self.session.send_response(request, response)
        self._schedule_flush()
        if self.session.state is not state:  # a bind_resp starts the bound-state timers
            self._arm_timer()
        if self.session.inbound_outstanding < self.session.config.window:
            self._inbound_space.set()

    def _schedule_flush(self) -> None:
        if self._flush_handle is None:
            self._flush_handle = self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        data = self.session.data_to_send()
        if data and not self._writer.is_closing():
            self._writer.write(data)

    # --- timers --------------------------------------------------------------------------

    def _arm_timer(self) -> None:
        deadline = self.session.next_deadline()
        if deadline is None or (self._timer_at is not None and self._timer_at <= deadline):
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = self._timer_at = None
        if self._closed.is_set():
            return
        self._dispatch(self.session.tick(self._loop.time()))
        self._flush()
        self._arm_timer()

    # --- closing -------------------------------------------------------------------------

    def _start_unbind(self) -> None:
        try:
            self.session.send_request(Unbind(), self._loop.time())
        except SessionError:
            self.close()
            return
        self._schedule_flush()
        self._arm_timer()

    async def unbind(self, grace: float = 5.0) -> None:
        """Unbind politely (waiting at most `grace` seconds for the reply), then close."""
        if not self._closed.is_set():
            try:
                async with asyncio.timeout(grace):
                    await self.request(Unbind())
            except (SessionError, ConnectionLost, ResponseTimeout, TimeoutError):
                pass
        self.close()
        await self.wait_closed()

    def close(self) -> None:
        """Flush what is queued and close the socket; `run` then returns."""
        if self._closed.is_set():
            return
        self._flush()
        self._closed.set()
        self._inbound_space.set()
        self._writer.close()

    def abort(self) -> None:
        """Drop the connection without flushing (a dead link, or a test's injected fault)."""
        self._writer.transport.abort()
        self.close()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def _shutdown(self) -> None:
        self.close()
        if self._timer is not None:
            self._timer.cancel()
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        for request in self.session.close():
            self._resolve(request, None, ConnectionLost(type(request).__name__))
        for future in self._futures.values():
            if not future.done():
                future.set_exception(ConnectionLost("connection closed"))
        self._futures.clear()
        for waiter in self._window_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._window_waiters.clear()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()
