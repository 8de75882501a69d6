"""A lean HTTP/1.1 client for webhook POSTs: one small body out, the status code back.

Owns the keep-alive pool per (scheme, host, port) and the limits on answers;
h11 frames every request and answer, one h11.Connection per pooled connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import ssl
from collections.abc import Mapping
from typing import cast

import h11

from smsgate.webhooks.targets import Origin, Target, WebhookError, parse_target

__all__ = ["BODY_LIMIT", "HEAD_LIMIT", "WebhookClient", "WebhookError"]

HEAD_LIMIT = 64 * 1024  # one answer head; also a chunk size line or the chunked trailers
BODY_LIMIT = 1024 * 1024  # answer body bytes dropped before the connection is closed instead
_TARGET_CACHE = 1024  # parsed URLs kept
_NAME_CACHE = 256  # header names already checked

_OWN_FIELDS = frozenset({"host", "content-length", "transfer-encoding", "connection", "user-agent"})
_TRANSFER_ENCODING = re.compile(rb"\r\ntransfer-encoding:([^\r\n]*)", re.IGNORECASE)
_END = h11.EndOfMessage()
_ENDED = "the server closed the connection before the answer was complete"

Answer = tuple[int, bool]  # status, whether the connection can be reused


class _Malformed(Exception):
    """The answer broke HTTP/1.1 framing."""


class _Ended(Exception):
    """The server closed the connection before the answer was complete."""


def _new_h11() -> h11.Connection:
    return h11.Connection(h11.CLIENT, max_incomplete_event_size=HEAD_LIMIT + 4)


def _chunked_only(answer: bytes) -> bytes | None:
    """`answer` with its first Transfer-Encoding other than plain `chunked` made one h11 frames.

    A list ending in chunked becomes `chunked`; any other coding is renamed away, so the
    body runs until the close. None when there is no such field.
    """
    for match in _TRANSFER_ENCODING.finditer(answer):
        codings = match[1].lower().split(b",")
        if [coding.strip(b" \t") for coding in codings] == [b"chunked"]:
            continue
        if codings[-1].strip(b" \t") == b"chunked":
            field = b"\r\nTransfer-Encoding: chunked"
        else:
            field = b"\r\nX-Dropped-Transfer-Encoding:" + match[1]
        return answer[: match.start()] + field + answer[match.end() :]
    return None


class _Connection(asyncio.Protocol):
    """One TCP or TLS connection: feeds what arrives to h11 and settles the pending answer."""

    transport: asyncio.Transport

    def __init__(self, loop: asyncio.AbstractEventLoop, origin: Origin) -> None:
        self.loop = loop
        self.origin = origin
        self.http = _new_h11()
        self.ended = False  # the server closed its side, or the connection is lost
        self.received = False  # a byte arrived since the last request was written
        self.pool: dict[Origin, list[_Connection]] | None = None  # set while idle
        self.lost: asyncio.Future[None] = loop.create_future()
        # The exchange in progress:
        self.answer: asyncio.Future[Answer] | None = None
        self.request: h11.Request | None = None
        self.body = b""
        self.head = b""  # bytes received until the final answer head, for _retry_codings
        self.status = 0  # of the final answer head, 0 before it
        self.reusable = True
        self.left = 0  # body bytes still read before giving up (chunked and until-close)
        self.chunked = False
        self.until_close = False
        self.peek = False  # a chunk size line is next in h11's buffer
        self.renew = False  # HTTP/1.0 keep-alive, which h11 does not reuse
        self.eof_fed = False
        self.keep = 0  # answer body bytes kept in `kept` for the caller
        self.kept = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, request: h11.Request, body: bytes, keep: int = 0) -> asyncio.Future[Answer]:
        """Write the request; the future settles with the answer or its failure, and the
        first `keep` bytes of the answer's body are in `kept` then."""
        http = self.http
        self.transport.write(
            (http.send(request) or b"")
            + (http.send(h11.Data(body)) or b"")
            + (http.send(_END) or b"")
        )
        self.request = request
        self.body = body
        self.head = b""
        self.status = 0
        self.reusable = True
        self.chunked = self.until_close = self.peek = self.renew = False
        self.received = False
        self.keep, self.kept = keep, b""
        self.answer = answer = self.loop.create_future()
        return answer

    def data_received(self, data: bytes) -> None:
        self.received = True
        if self.answer is None:  # nothing was asked: the connection cannot be trusted
            self.transport.abort()
            return
        if not self.status:
            self.head += data
        self.http.receive_data(data)
        self._drain()

    def eof_received(self) -> None:
        self.ended = True
        self._feed_eof()

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        if exc is None or self.until_close:  # a reset ends a body that only the close delimits
            self._feed_eof()
        elif self.answer is not None:
            self._settle(exc)
        if self.answer is not None:
            self._settle(_Ended(_ENDED))
        self.leave_pool()
        if not self.lost.done():
            self.lost.set_result(None)

    def _feed_eof(self) -> None:
        if self.answer is not None and not self.eof_fed:
            self.eof_fed = True
            self.http.receive_data(b"")
            self._drain()

    def _drain(self) -> None:
        """Take h11's events until the answer is complete or more bytes are needed."""
        http = self.http
        try:
            while self.answer is not None:
                if self.peek and self._chunk_over_limit():
                    self._settle((self.status, False))
                    return
                event = http.next_event()
                kind = type(event)
                if kind is h11.Data:
                    self._on_data(cast(h11.Data, event))
                elif kind is h11.Response:
                    self._on_head(cast(h11.Response, event))
                elif kind is h11.EndOfMessage:
                    self._on_end()
                elif event is h11.NEED_DATA:
                    return
                elif kind is not h11.InformationalResponse:  # ConnectionClosed, PAUSED
                    raise _Ended(_ENDED)
        except h11.RemoteProtocolError as exc:
            if not self.status and (head := _chunked_only(self.head)) is not None:
                self._retry_codings(head)
            elif exc.error_status_hint == 431:
                self._settle(_Malformed(f"answer head longer than {HEAD_LIMIT} bytes"))
            else:
                self._settle(_Ended(_ENDED) if self.eof_fed else _Malformed(str(exc)))
        except (_Ended, _Malformed) as exc:
            self._settle(exc)

    def _retry_codings(self, head: bytes) -> None:
        """Read the answer again with the transfer codings h11 refused rewritten."""
        assert self.request is not None
        self.http = http = _new_h11()
        http.send(self.request)
        http.send(h11.Data(self.body))
        http.send(_END)
        self.head = head
        http.receive_data(head)
        if self.eof_fed:
            http.receive_data(b"")
        self._drain()

    def _on_head(self, event: h11.Response) -> None:
        status = self.status = event.status_code
        http = self.http
        head = len(self.head) - HEAD_LIMIT - 4  # h11 bounds only the heads it waits for
        if head > 0 and head > len(http.trailing_data[0]):
            raise _Malformed(f"answer head longer than {HEAD_LIMIT} bytes")
        if not event.http_version.startswith(b"1."):
            raise _Malformed(f"unsupported HTTP version {event.http_version!r}")
        self.head = b""
        length = -1
        chunked = False
        tokens: list[bytes] = []
        for raw_name, value in event.headers.raw_items():
            name = raw_name.lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"connection":
                tokens += (token.strip(b" \t") for token in value.lower().split(b","))
        if event.http_version == b"1.0":  # h11 reuses no HTTP/1.0 connection: see _on_end
            self.renew = b"keep-alive" in tokens and b"close" not in tokens
        if status == 204 or status == 304:  # never a body, whatever the head says
            return
        self.chunked = self.peek = chunked
        self.left = BODY_LIMIT
        if chunked:
            self.reusable = length < 0  # both framings at once: never reuse
        elif length > BODY_LIMIT:
            self._settle((status, False))
        elif length < 0:
            self.until_close = True

    def _on_data(self, event: h11.Data) -> None:
        if len(self.kept) < self.keep:
            self.kept += event.data[: self.keep - len(self.kept)]
        if self.chunked:
            self.peek = event.chunk_end
        elif self.until_close:
            self.left -= len(event.data)
            if self.left < 0:
                self._settle((self.status, False))

    def _chunk_over_limit(self) -> bool:
        """Whether the chunk whose size line is next in h11's buffer goes over BODY_LIMIT."""
        ahead = self.http.trailing_data[0].lstrip(b"\r\n")  # the end of the previous chunk
        end = ahead.find(b"\n")
        if end < 0:
            return False  # look again when more has arrived
        self.peek = False
        with contextlib.suppress(ValueError):  # h11 refuses a bad size line
            self.left -= int(ahead[:end].partition(b";")[0], 16)
        return self.left < 0

    def _on_end(self) -> None:
        http = self.http
        reusable = self.reusable and not self.ended and not http.trailing_data[0]
        if http.their_state is h11.DONE and http.our_state is h11.DONE:
            if reusable:
                http.start_next_cycle()
        elif self.renew and reusable:
            self.http = _new_h11()
        else:
            reusable = False
        self._settle((self.status, reusable))

    def _settle(self, outcome: Answer | Exception) -> None:
        answer, self.answer = self.answer, None
        self.request = None
        if answer is None or answer.done():
            return
        if isinstance(outcome, Exception):
            answer.set_exception(outcome)
        else:
            answer.set_result(outcome)

    def leave_pool(self) -> None:
        pool, self.pool = self.pool, None
        idle = pool.get(self.origin) if pool is not None else None
        if pool is not None and idle is not None and self in idle:
            idle.remove(self)
            if not idle:
                del pool[self.origin]

    def usable(self) -> bool:
        return not (self.ended or self.transport.is_closing())


class WebhookClient:
    """POSTs small bodies over pooled keep-alive HTTP/1.1 connections."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        max_idle_per_origin: int = 32,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._timeout = timeout
        self._max_idle = max_idle_per_origin
        self._ssl_context = ssl_context
        self._idle: dict[Origin, list[_Connection]] = {}
        self._targets: dict[str, Target] = {}
        self._names: set[str] = set()

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """POST body to url; return the HTTP status code, or raise WebhookError."""
        return (await self.post_read(url, body, headers))[0]

    async def post_read(
        self, url: str, body: bytes, headers: Mapping[str, str], *, keep: int = 0
    ) -> tuple[int, bytes]:
        """POST body to url; return the HTTP status code and the first `keep` bytes of the
        answer's body, or raise WebhookError."""
        target = self._targets.get(url)
        if target is None:
            target = parse_target(url)
            if len(self._targets) >= _TARGET_CACHE:
                del self._targets[next(iter(self._targets))]
            self._targets[url] = target
        request = self._request(target, body, headers)
        try:
            async with asyncio.timeout(self._timeout):
                return await self._send(target, request, body, keep)
        except TimeoutError:
            raise WebhookError(f"{target.label}: no answer within {self._timeout:g} s") from None

    async def close(self) -> None:
        """Close every idle connection."""
        connections = [conn for idle in self._idle.values() for conn in idle]
        self._idle.clear()
        for conn in connections:
            conn.pool = None
            conn.transport.close()
        if connections:
            await asyncio.wait([conn.lost for conn in connections], timeout=1.0)
            for conn in connections:
                if not conn.lost.done():
                    conn.transport.abort()

    def _request(self, target: Target, body: bytes, headers: Mapping[str, str]) -> h11.Request:
        for name in headers:
            if name not in self._names:
                if name.lower() in _OWN_FIELDS:
                    raise WebhookError(f"header name {name!r} is set by the client")
                if len(self._names) >= _NAME_CACHE:
                    self._names.clear()
                self._names.add(name)
        try:
            fields = [
                *target.fields,
                (b"Content-Length", b"%d" % len(body)),
                *[
                    (name.encode("latin-1"), value.encode("latin-1"))
                    for name, value in headers.items()
                ],
            ]
        except UnicodeEncodeError:
            raise WebhookError("header name or value outside ISO-8859-1") from None
        try:
            return h11.Request(method=b"POST", target=target.path, headers=fields)
        except h11.LocalProtocolError:
            raise WebhookError("a header name or value is not valid in HTTP/1.1") from None

    async def _send(
        self, target: Target, request: h11.Request, body: bytes, keep: int
    ) -> tuple[int, bytes]:
        conn = self._checkout(target.origin)
        if conn is not None:
            try:
                return await self._exchange(conn, request, body, keep)
            except (_Ended, _Malformed, OSError) as exc:
                stale = isinstance(exc, _Ended | ConnectionError) and not conn.received
                if not stale:  # else the server had closed the idle connection: retry once
                    raise _failure(target, exc) from exc
        try:
            conn = await self._connect(target.origin)
            return await self._exchange(conn, request, body, keep)
        except (_Ended, _Malformed, OSError, ValueError) as exc:
            raise _failure(target, exc) from exc

    def _checkout(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            conn.pool = None
            if not idle:
                del self._idle[origin]
            if conn.usable():
                return conn
            conn.transport.abort()
        return None

    async def _connect(self, origin: Origin) -> _Connection:
        scheme, host, port = origin
        context = None
        if scheme == "https":
            if self._ssl_context is None:
                self._ssl_context = ssl.create_default_context()
            context = self._ssl_context
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(
            lambda: _Connection(loop, origin),
            host,
            port,
            ssl=context,
            server_hostname=host if context is not None else None,
        )
        return conn

    async def _exchange(
        self, conn: _Connection, request: h11.Request, body: bytes, keep: int
    ) -> tuple[int, bytes]:
        try:
            status, reusable = await conn.send(request, body, keep)
        except BaseException:
            conn.transport.abort()
            raise
        answer = (status, conn.kept)
        if reusable and conn.usable():
            idle = self._idle.get(conn.origin)
            if idle is None and self._max_idle > 0:
                idle = self._idle[conn.origin] = []
            if idle is not None and len(idle) < self._max_idle:
                conn.pool = self._idle
                idle.append(conn)
                return answer
        conn.transport.close()
        return answer


def _failure(target: Target, exc: Exception) -> WebhookError:
    if isinstance(exc, _Ended | _Malformed):
        return WebhookError(f"{target.label}: {exc}")
    return WebhookError(f"{target.label}: {type(exc).__name__}: {exc}")
