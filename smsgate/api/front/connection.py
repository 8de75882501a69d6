"""One HTTP/1.1 connection of the lean server: httptools parses, each request runs the
ASGI app in turn (pipelined ones wait), the body streams to the app as it arrives.

Deadlines and the per-address cap are those of `http_limits`; see docs/security.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any, cast

import httptools
from starlette.types import ASGIApp, Message

from smsgate.api.front.wire import (
    BAD_REQUEST,
    CONTINUE,
    FAILED,
    HEADERS_TOO_LARGE,
    MAX_HEAD_BYTES,
    NO_BODY,
    HeadTooLarge,
    HttpDate,
    address,
    request_path,
    status_line,
)
from smsgate.api.http_limits import TIMED_OUT, ConnectionLimits, admit, release

log = logging.getLogger(__name__)

BUFFERED_BODY = 65_536  # read no more while this much body waits for the app

# What the connection waits for: nothing (between requests), headers, a body.
_IDLE, _HEADERS, _BODY = 0, 1, 2


class Shared:
    """What every connection of one server shares: the app, limits, open connections."""

    def __init__(self, app: ASGIApp, limits: ConnectionLimits, keepalive: float) -> None:
        self.app = app
        self.limits = limits
        self.keepalive = keepalive
        self.open_by_address: dict[str, int] = {}
        self.connections: set[Connection] = set()
        self.closing = False
        self.date = HttpDate()


class Cycle:
    """One request: its scope, the body received so far, and how far the response got."""

    __slots__ = ("_chunked", "_head_out", "_no_body", "_wake", "body", "complete", "conn",
                 "delivered", "expects_continue", "keep_alive", "response_done",
                 "response_started", "scope")  # fmt: skip

    def __init__(self, conn: Connection, scope: dict[str, Any], expects_continue: bool) -> None:
        self.conn = conn
        self.scope = scope
        self.body: list[bytes] = []
        self.complete = False  # the whole body has arrived
        self.delivered = False  # ... and the app has received all of it
        self._wake: asyncio.Event | None = None  # made when the app waits
        self.expects_continue = expects_continue
        self.keep_alive = True
        self.response_started = False
        self.response_done = False
        self._head_out = b""  # the response's head, written with the first body bytes
        self._chunked = False  # the response has no length: sent in chunks
        self._no_body = False

    async def receive(self) -> Message:
        """The body as it arrives; once it has all been received, waits for the response
        to end or the client to leave, and says the client is gone (as uvicorn does)."""
        conn = self.conn
        if self.delivered:
            while not (self.response_done or conn.lost):
                await self._wait()
        if self.response_done or conn.lost:
            return {"type": "http.disconnect"}
        if not self.body and not self.complete:
            if self.expects_continue:
                self.expects_continue = False
                conn.transport.write(CONTINUE)
            conn.resume()
            while not (self.body or self.complete or conn.lost):
                await self._wait()
            if conn.lost:
                return {"type": "http.disconnect"}
        body = b"".join(self.body)
        self.body.clear()
        conn.resume()
        self.delivered = self.complete
        return {"type": "http.request", "body": body, "more_body": not self.complete}

    async def _wait(self) -> None:
        if self._wake is None:
            self._wake = asyncio.Event()
        await self._wake.wait()

    def wake(self) -> None:
        """Something the app may wait for happened: body, its end, response end, loss."""
        if self._wake is not None:
            self._wake.set()
            self._wake = None

    async def send(self, message: Message) -> None:
        conn = self.conn
        if conn.lost:
            return
        if not self.response_started:
            if message["type"] != "http.response.start":
                raise RuntimeError(f"expected http.response.start, got {message['type']}")
            self.response_started = True
            self.expects_continue = False
            self._head_out = self._head(message["status"], message.get("headers", ()))
            return
        if message["type"] != "http.response.body" or self.response_done:
            raise RuntimeError(f"unexpected ASGI message {message['type']}")
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        if self.scope["method"] == "HEAD" or self._no_body:
            body = b""
        if self._chunked:
            body = b"%x\r\n%s\r\n" % (len(body), body) if body else b""
            if not more:
                body += b"0\r\n\r\n"
        if self._head_out:
            # One write (one system call) for a head and a body sent together.
            body, self._head_out = self._head_out + body, b""
        if body:
            conn.transport.write(body)
        if more:
            await conn.drained()
            return
        self.response_done = True
        self.wake()
        conn.response_done(self)

    def _head(self, status: int, headers: Any) -> bytes:
        lines = [status_line(status)]
        sized = False
        for name, value in headers:
            lower = name.lower()
            if lower == b"content-length":
                sized = True
            elif lower == b"transfer-encoding":
                sized = self._chunked = True  # the server does the chunking, as in uvicorn
            elif lower == b"connection" and value.lower() == b"close":
                self.keep_alive = False
                continue
            lines.append(b"%s: %s" % (name, value))
        self._no_body = status in NO_BODY or status < 200
        if not sized and not self._no_body and self.scope["method"] != "HEAD":
            self._chunked = True
            lines.append(b"transfer-encoding: chunked")
        # A body the app did not wait for cannot be skipped safely: close after the answer.
        if not self.complete or self.conn.shared.closing:
            self.keep_alive = False
        if not self.keep_alive:
            lines.append(b"connection: close")
        lines.append(b"date: " + self.conn.shared.date())
        return b"\r\n".join(lines) + b"\r\n\r\n"


class Connection(asyncio.Protocol):
    """httptools callbacks in, ASGI cycles out, under the deadlines of `Shared.limits`."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport = cast(asyncio.Transport, None)
        self.lost = False
        self.server: tuple[str, int] | None = None
        self.client: tuple[str, int] | None = None
        self._address: str | None = None
        self._reading = True
        self._writable = asyncio.Event()
        self._writable.set()
        self._timer: asyncio.TimerHandle | None = None
        self._waiting_for = _HEADERS
        self._timed = _IDLE
        self._parsing: Cycle | None = None  # the request whose bytes are being parsed
        self._running: Cycle | None = None  # the request the app is answering
        self._task: asyncio.Task[None] | None = None
        self._queue: deque[Cycle] = deque()  # pipelined requests waiting their turn
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_bytes = 0
        self._expects = False  # Expect: 100-continue
        self._idle_since = 0.0

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without deriving from it.
        self.transport = cast(asyncio.Transport, transport)
        self.server = address(transport.get_extra_info("sockname"))
        self.client = address(transport.get_extra_info("peername"))
        try:
            self._address = admit(
                self.shared.limits,
                self.shared.open_by_address,
                self.client[0] if self.client else None,
            )
        except ConnectionRefusedError as refused:
            log.debug("%s", refused)
            self.lost = True
            self.transport.close()
            return
        self.shared.connections.add(self)
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._address is not None:
            release(self.shared.open_by_address, self._address)
            self._address = None
        self.shared.connections.discard(self)
        self.lost = True
        self._cancel_timer()
        self._writable.set()
        for cycle in (self._running, self._parsing, *self._queue):
            if cycle is not None:
                cycle.wake()
        self._queue.clear()

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            pass  # no protocol upgrades: the request was answered as a plain one
        except httptools.HttpParserError as exc:
            # httptools raises what a callback raised as the context of its own error.
            too_large = isinstance(exc.__context__, HeadTooLarge)
            self._refuse(HEADERS_TOO_LARGE if too_large else BAD_REQUEST)
            return
        if self._waiting_for != self._timed:
            self._watch()

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._waiting_for = _HEADERS
        self._url = b""
        self._headers = []
        self._head_bytes = 0
        self._expects = False

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._count_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value)
        if self._head_bytes > MAX_HEAD_BYTES:
            raise HeadTooLarge
        name = name.lower()
        if name == b"expect":
            self._expects = value.lower() == b"100-continue"
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._waiting_for = _BODY
        url = httptools.parse_url(self._url)
        raw_path = url.path
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": self.parser.get_http_version(),
            "server": self.server,
            "client": self.client,
            "scheme": "http",
            "method": self.parser.get_method().decode("ascii"),
            "root_path": "",
            "path": request_path(raw_path),
            "raw_path": raw_path,
            "query_string": url.query or b"",
            "headers": self._headers,
        }
        cycle = Cycle(self, scope, self._expects)
        cycle.keep_alive = self.parser.should_keep_alive()
        self._parsing = cycle
        if self._running is None:
            self._start(cycle)
        else:
            self._queue.append(cycle)
            self._pause()

    def on_body(self, body: bytes) -> None:
        cycle = self._parsing
        if cycle is None or cycle.response_done:
            return
        cycle.body.append(body)
        cycle.wake()
        if sum(map(len, cycle.body)) > BUFFERED_BODY:
            self._pause()

    def on_message_complete(self) -> None:
        self._waiting_for = _IDLE
        cycle, self._parsing = self._parsing, None
        if cycle is not None:
            cycle.complete = True
            cycle.wake()

    # running the app

    def _start(self, cycle: Cycle) -> None:
        self._running = cycle
        self._task = asyncio.get_running_loop().create_task(self._run(cycle))

    async def _run(self, cycle: Cycle) -> None:
        try:
            await self.shared.app(cycle.scope, cycle.receive, cycle.send)
        except BaseException as exc:
            if not isinstance(exc, Exception):
                raise
            scope = cycle.scope
            log.exception("the ASGI app failed on %s %s", scope["method"], scope["path"])
            if not cycle.response_started and not self.lost:
                self.transport.write(FAILED)
            self.transport.close()
            return
        if not cycle.response_done and not self.lost:
            log.error("the ASGI app returned without a whole response")
            if not cycle.response_started:
                self.transport.write(FAILED)
            self.transport.close()

    def response_done(self, cycle: Cycle) -> None:
        self._running = None
        if not cycle.keep_alive:
            self.transport.close()
            return
        if self._queue:
            self._start(self._queue.popleft())
            if not self._queue:
                self.resume()
            return
        if self.shared.closing:
            self.transport.close()
            return
        self.resume()
        # The keep-alive deadline counts from now; an armed one is moved when it fires.
        self._idle_since = asyncio.get_running_loop().time()
        if self._timer is None or self._timed != _IDLE:
            self._watch()

    async def drained(self) -> None:
        await self._writable.wait()

    def resume(self) -> None:
        if not self._reading and not self.lost and not self._queue:
            parsing = self._parsing
            if parsing is None or sum(map(len, parsing.body)) <= BUFFERED_BODY:
                self._reading = True
                self.transport.resume_reading()

    def _pause(self) -> None:
        if self._reading:
            self._reading = False
            self.transport.pause_reading()

    def close_if_idle(self) -> None:
        """Close now unless a request is being answered (then after its response)."""
        if self._running is None and self._parsing is None:
            self.transport.close()

    # deadlines

    def _watch(self) -> None:
        """Arm the deadline of what the connection waits for: headers, a body, or (idle,
        no request being answered) the next request within the keep-alive timeout."""
        self._cancel_timer()
        waiting_for = self._timed = self._waiting_for
        if self.lost or self.transport.is_closing():
            return
        limits = self.shared.limits
        if waiting_for == _HEADERS:
            timeout = limits.header_timeout
        elif waiting_for == _BODY:
            timeout = limits.body_timeout
        elif self._running is None:
            timeout = self.shared.keepalive
        else:
            return
        self._timer = asyncio.get_running_loop().call_later(timeout, self._time_out)

    def _time_out(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self._waiting_for == _IDLE:
            if self._running is None and not self._queue:
                self._keep_alive_ended()
            return  # else re-armed when the response is done
        running = self._running
        if running is None or not running.response_started:
            self.transport.write(TIMED_OUT)
        self.transport.close()

    def _keep_alive_ended(self) -> None:
        keepalive = self.shared.keepalive
        left = self._idle_since + keepalive - asyncio.get_running_loop().time()
        if left > 0:
            self._timed = _IDLE
            self._timer = asyncio.get_running_loop().call_later(left, self._time_out)
        else:
            self.transport.close()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            raise HeadTooLarge

    def _refuse(self, answer: bytes) -> None:
        running = self._running
        if running is None or running.response_done:
            self.transport.write(answer)
        self.transport.close()
