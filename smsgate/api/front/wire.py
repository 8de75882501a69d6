"""The lean server's bytes on the wire: fixed answers, status lines, the Date header, and
the request path and addresses as ASGI scopes carry them."""

from __future__ import annotations

import time
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
HEADERS_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close"
    b"\r\n\r\n"
)
FAILED = b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
MAX_HEAD_BYTES = 65_536  # request line and headers
NO_BODY = frozenset({204, 304})
_REASONS = {s.value: s.phrase.encode() for s in HTTPStatus}


class HeadTooLarge(Exception):
    """The request line and headers are over MAX_HEAD_BYTES."""


def status_line(status: int) -> bytes:
    return b"HTTP/1.1 %d %s" % (status, _REASONS.get(status, b""))


class HttpDate:
    """The Date header's value, formatted once a second."""

    def __init__(self) -> None:
        self._value = b""
        self._second = -1

    def __call__(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._value = formatdate(now, usegmt=True).encode()
        return self._value


def request_path(raw: bytes) -> str:
    path = raw.decode("ascii", "replace")
    return unquote(path) if "%" in path else path


def address(value: Any) -> tuple[str, int] | None:
    if isinstance(value, tuple) and len(value) >= 2:
        return str(value[0]), int(value[1])
    return None
