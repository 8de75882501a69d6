"""A lean HTTP/1.1 client for webhook POSTs: one small body out, the status code back.

Owns URL checks, request encoding, the keep-alive pool per (scheme, host, port) and the
framing of answers (Content-Length, chunked, until close); answer bodies are read and dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast
from urllib.parse import quote, urlsplit

HEAD_LIMIT = 64 * 1024  # status line + header fields of one answer; also chunked trailers
BODY_LIMIT = 1024 * 1024  # answer body bytes dropped before the connection is closed instead
LINE_LIMIT = 4096  # one chunk-size line (with extensions) or trailer line
_PAUSE_AT = 256 * 1024  # stop reading the socket while this much is buffered
_TARGET_CACHE = 1024  # parsed URLs kept
_NAME_CACHE = 256  # header names already checked

_DEFAULT_PORTS = {"http": 80, "https": 443}
_OWN_FIELDS = frozenset({"host", "content-length", "transfer-encoding", "connection", "user-agent"})
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HOST = re.compile(r"[a-z0-9._-]+")
_SAFE = "/!$&'()*+,;=:@%~"  # kept as is in path and query; the rest is percent-encoded
_HEX = b"0123456789abcdefABCDEF"
_BLANK = b" \t"
_CHUNKED = -1
_UNTIL_CLOSE = -2

Origin = tuple[str, str, int]  # scheme, host, port


class WebhookError(Exception):
    """The POST got no usable answer: connect/TLS failure, timeout, malformed answer."""


class _Malformed(Exception):
    """The answer broke HTTP/1.1 framing."""


class _Ended(Exception):
    """The server closed the connection before the answer was complete."""


@dataclass(frozen=True, slots=True)
class _Target:
    origin: Origin
    prefix: bytes  # request line, Host and User-Agent
    label: str  # scheme://authority, for messages (the path and query may hold secrets)


def _parse_target(url: str) -> _Target:
    """Check `url` and pre-encode what every POST to it starts with."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookError(f"invalid URL: {exc}") from None
    scheme = parts.scheme
    default = _DEFAULT_PORTS.get(scheme)
    if default is None:
        raise WebhookError(f"unsupported URL scheme {scheme!r}: http or https only")
    if "@" in parts.netloc:
        raise WebhookError("user information in the URL is refused")
    host = parts.hostname
    if not host:
        raise WebhookError("URL without a host")
    if port == 0:
        raise WebhookError("URL with port 0")
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise WebhookError(f"invalid IPv6 address {host!r}") from None
        authority = f"[{host}]"
    else:
        try:
            authority = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise WebhookError(f"invalid host name {host!r}") from None
        if not _HOST.fullmatch(authority):
            raise WebhookError(f"invalid host name {host!r}")
    if port is None:
        port = default
    elif port != default:
        authority += f":{port}"
    target = quote(parts.path or "/", safe=_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_SAFE + "?")
    prefix = f"POST {target} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: smsgate\r\n"
    return _Target((scheme, host, port), prefix.encode("ascii"), f"{scheme}://{authority}")


def _content_length(value: bytes) -> int:
    text = value.strip(_BLANK)
    if not (text.isdigit() and len(text) <= 18):  # "5, 5" (a repeated value) is allowed
        values = {item.strip(_BLANK) for item in value.split(b",")}
        text = values.pop()
        if values or not (text.isdigit() and len(text) <= 18):
            raise _Malformed(f"invalid Content-Length {value[:40]!r}")
    return int(text)


def _parse_head(head: bytes) -> tuple[int, bool, int]:
    """(status, reusable, body length or _CHUNKED or _UNTIL_CLOSE) of an answer head."""
    line, _, fields = head.partition(b"\r\n")
    if not (
        line.startswith(b"HTTP/1.")
        and line[7:8].isdigit()
        and line[8:9] == b" "
        and line[9:12].isdigit()
        and line[12:13] in (b"", b" ")
        and line[9:10] != b"0"
    ):
        raise _Malformed(f"malformed status line {line[:40]!r}")
    status = int(line[9:12])
    length = _UNTIL_CLOSE
    codings: list[bytes] = []
    close = keep_alive = False
    if fields:
        for field in fields.split(b"\r\n"):
            name, colon, value = field.partition(b":")
            if not colon or not name or name[0] in _BLANK or name[-1] in _BLANK:
                raise _Malformed(f"malformed header field {field[:40]!r}")
            name = name.lower()
            if name == b"content-length":
                size = _content_length(value)
                if length >= 0 and size != length:
                    raise _Malformed("conflicting Content-Length fields")
                length = size
            elif name == b"transfer-encoding":
                codings += (item.strip(_BLANK) for item in value.lower().split(b","))
            elif name == b"connection":
                tokens = {item.strip(_BLANK) for item in value.lower().split(b",")}
                close = close or b"close" in tokens
                keep_alive = keep_alive or b"keep-alive" in tokens
    reusable = not close and (keep_alive or line[7:8] != b"0")
    if status < 200 or status in (204, 304):  # never a body, whatever the head says
        return status, reusable, 0
    if codings:  # Transfer-Encoding wins over Content-Length; both at once: never reuse
        reusable = reusable and length < 0
        length = _CHUNKED if codings[-1] == b"chunked" else _UNTIL_CLOSE
    return status, reusable and length != _UNTIL_CLOSE, length


class _Connection(asyncio.Protocol):
    """One TCP or TLS connection: buffers what arrives and reads answers from the buffer."""

    transport: asyncio.Transport

    def __init__(self, loop: asyncio.AbstractEventLoop, origin: Origin) -> None:
        self.loop = loop
        self.origin = origin
        self.buffer = bytearray()  # never rebound: the readers below hold on to it
        self.ended = False
        self.error: Exception | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.paused = False
        self.received = False  # a byte arrived since the last request was written
        self.pool: dict[Origin, list[_Connection]] | None = None  # set while idle
        self.lost: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self.received = True
        if len(self.buffer) > _PAUSE_AT and not self.paused:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> None:
        self.ended = True
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.error = exc
        self._wake()
        self.leave_pool()
        if not self.lost.done():
            self.lost.set_result(None)

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def leave_pool(self) -> None:
        pool, self.pool = self.pool, None
        idle = pool.get(self.origin) if pool is not None else None
        if pool is not None and idle is not None and self in idle:
            idle.remove(self)
            if not idle:
                del pool[self.origin]

    def usable(self) -> bool:
        return not (self.ended or self.buffer or self.transport.is_closing())

    async def more(self) -> bool:
        """Wait for more bytes: False at a clean end of the stream, raises a lost connection."""
        size = len(self.buffer)
        while len(self.buffer) == size:
            if self.ended:
                if self.error is not None:
                    raise self.error
                return False
            if self.paused:
                self.paused = False
                self.transport.resume_reading()
            self.waiter = self.loop.create_future()
            await self.waiter
        return True

    async def need(self) -> None:
        if not await self.more():
            raise _Ended("the server closed the connection before the answer was complete")

    async def answer(self) -> tuple[int, bool]:
        """Read one final answer (skipping 1xx ones): its status and whether to reuse."""
        status = 100
        while status < 200:
            head = await self.until(b"\r\n\r\n", HEAD_LIMIT, "answer head")
            status, reusable, length = _parse_head(head)
            if status == 101:
                raise _Malformed("unexpected 101 Switching Protocols")
        if status == 204 or status == 304:
            return status, reusable
        if length >= 0:
            complete = await self.drop(length)
        elif length == _CHUNKED:
            complete = await self.drop_chunked()
        else:
            complete = await self.drop_until_close()
        return status, reusable and complete

    async def until(self, separator: bytes, limit: int = LINE_LIMIT, what: str = "line") -> bytes:
        """Take the (at most `limit`) bytes before `separator`, dropping both."""
        buf = self.buffer
        start = 0
        stop = limit + len(separator)
        while (end := buf.find(separator, start, stop)) < 0:
            if len(buf) >= stop:
                raise _Malformed(f"{what} longer than {limit} bytes")
            start = max(0, len(buf) - len(separator) + 1)
            await self.need()
        found = bytes(buf[:end])
        del buf[: end + len(separator)]
        return found

    async def drop(self, size: int) -> bool:
        """Drop `size` body bytes; False (nothing read) when that is over BODY_LIMIT."""
        if size > BODY_LIMIT:
            return False
        buf = self.buffer
        while len(buf) < size:
            size -= len(buf)
            buf.clear()
            await self.need()
        del buf[:size]
        return True

    async def drop_chunked(self) -> bool:
        total = 0
        while True:
            line = await self.until(b"\r\n", what="chunk size line")
            size_text = line.partition(b";")[0].strip(_BLANK)
            if not size_text or len(size_text) > 15 or size_text.lstrip(_HEX):
                raise _Malformed(f"malformed chunk size {size_text[:20]!r}")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > BODY_LIMIT:
                return False
            await self.drop(size)
            if await self.until(b"\r\n"):
                raise _Malformed("chunk longer than its size")
        trailer = 0
        while line := await self.until(b"\r\n", what="trailer line"):
            trailer += len(line)
            if trailer > HEAD_LIMIT:
                return False
        return True

    async def drop_until_close(self) -> bool:
        total = 0
        while True:
            total += len(self.buffer)
            self.buffer.clear()
            if total > BODY_LIMIT:
                return False
            try:
                if not await self.more():
                    return True
            except OSError:  # a reset ends a body that only the close delimits
                return True


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
        self._targets: dict[str, _Target] = {}
        self._names: set[str] = set()

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """POST body to url; return the HTTP status code, or raise WebhookError."""
        target = self._targets.get(url)
        if target is None:
            target = _parse_target(url)
            if len(self._targets) >= _TARGET_CACHE:
                del self._targets[next(iter(self._targets))]
            self._targets[url] = target
        request = b"".join((target.prefix, self._fields(body, headers), body))
        try:
            async with asyncio.timeout(self._timeout):
                return await self._send(target, request)
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

    def _fields(self, body: bytes, headers: Mapping[str, str]) -> bytes:
        lines = [f"{name}: {value}\r\n" for name, value in headers.items()]
        text = "".join(lines)
        if text.count("\r") != len(lines) or text.count("\n") != len(lines) or "\0" in text:
            raise WebhookError("CR, LF or NUL in a header name or value")
        for name in headers:
            if name not in self._names:
                if not _TOKEN.fullmatch(name) or name.lower() in _OWN_FIELDS:
                    raise WebhookError(f"header name {name!r} is invalid or set by the client")
                if len(self._names) >= _NAME_CACHE:
                    self._names.clear()
                self._names.add(name)
        try:
            return f"Content-Length: {len(body)}\r\n{text}\r\n".encode("latin-1")
        except UnicodeEncodeError:
            raise WebhookError("header value outside ISO-8859-1") from None

    async def _send(self, target: _Target, request: bytes) -> int:
        conn = self._checkout(target.origin)
        if conn is not None:
            try:
                return await self._exchange(conn, request)
            except (_Ended, _Malformed, OSError) as exc:
                stale = isinstance(exc, _Ended | ConnectionError) and not conn.received
                if not stale:  # else the server had closed the idle connection: retry once
                    raise _failure(target, exc) from exc
        try:
            conn = await self._connect(target.origin)
            return await self._exchange(conn, request)
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

    async def _exchange(self, conn: _Connection, request: bytes) -> int:
        conn.received = False
        try:
            conn.transport.write(request)
            status, reusable = await conn.answer()
        except BaseException:
            conn.transport.abort()
            raise
        if reusable and not conn.buffer:
            idle = self._idle.get(conn.origin)
            if idle is None and self._max_idle > 0:
                idle = self._idle[conn.origin] = []
            if idle is not None and len(idle) < self._max_idle:
                conn.pool = self._idle
                idle.append(conn)
                return status
        conn.transport.close()
        return status


def _failure(target: _Target, exc: Exception) -> WebhookError:
    if isinstance(exc, _Ended | _Malformed):
        return WebhookError(f"{target.label}: {exc}")
    return WebhookError(f"{target.label}: {type(exc).__name__}: {exc}")
