"""PROXY protocol headers, versions 1 and 2, read from a stream as a balancer sends them."""

from __future__ import annotations

import asyncio
import ipaddress
import struct

import pytest

from smsgate.smpp.proxy import (
    V2_SIGNATURE,
    ProxyHeaderError,
    is_trusted,
    parse_networks,
    read_header,
)

BIND = b"\x00\x00\x00\x10\x00\x00\x00\x09"  # what follows the header: left unread


async def read(data: bytes) -> tuple[tuple[str, int] | None, bytes]:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    found = await read_header(reader)
    return found, await reader.read()


def v2(command: int, family: int, body: bytes) -> bytes:
    return V2_SIGNATURE + bytes([0x20 | command, family]) + struct.pack("!H", len(body)) + body


async def test_v1_names_the_client_and_leaves_the_pdu() -> None:
    line = b"PROXY TCP4 203.0.113.7 10.0.0.1 40001 2775\r\n"
    assert await read(line + BIND) == (("203.0.113.7", 40001), BIND)
    line6 = b"PROXY TCP6 2001:db8::7 2001:db8::1 40002 2775\r\n"
    assert await read(line6 + BIND) == (("2001:db8::7", 40002), BIND)
    assert await read(b"PROXY UNKNOWN\r\n" + BIND) == (None, BIND)


async def test_v2_names_the_client_and_leaves_the_pdu() -> None:
    ipv4 = ipaddress.IPv4Address("198.51.100.9").packed + bytes(4) + struct.pack("!HH", 5555, 2775)
    assert await read(v2(1, 0x11, ipv4) + BIND) == (("198.51.100.9", 5555), BIND)
    ipv6 = ipaddress.IPv6Address("2001:db8::9").packed + bytes(16) + struct.pack("!HH", 6, 2775)
    assert await read(v2(1, 0x21, ipv6 + b"\x01\x00\x01x") + BIND) == (("2001:db8::9", 6), BIND)
    assert await read(v2(0, 0x00, b"") + BIND) == (None, BIND)  # LOCAL: a health check
    assert await read(v2(1, 0x31, bytes(216)) + BIND) == (None, BIND)  # a unix socket


@pytest.mark.parametrize(
    "data",
    [
        b"",
        BIND,
        b"PROXY TCP4 203.0.113.7 10.0.0.1 40001\r\n",
        b"PROXY TCP4 2001:db8::7 10.0.0.1 40001 2775\r\n",
        b"PROXY TCP4 203.0.113.x 10.0.0.1 40001 2775\r\n",
        b"PROXY TCP4 203.0.113.7 10.0.0.1 99999 2775\r\n",
        b"PROXY UDP4 203.0.113.7 10.0.0.1 1 2\r\n",
        b"PROXY TCP4 203.0.113.7 10.0.0.1 40001 2775",
        b"PROXY " + b"1" * 200 + b"\r\n",
        V2_SIGNATURE[:10],
        v2(1, 0x11, bytes(8)),
        v2(2, 0x11, bytes(12)),
        V2_SIGNATURE + b"\x21\x11\x10\x00",
        v2(1, 0x11, bytes(12))[:-3],
    ],
)
async def test_a_bad_or_missing_header_is_refused(data: bytes) -> None:
    with pytest.raises(ProxyHeaderError):
        await read(data)


def test_trusted_networks() -> None:
    trusted = parse_networks(" 10.0.0.0/8, 192.0.2.5 ,2001:db8::/32,")
    assert is_trusted("10.1.2.3", trusted) and is_trusted("192.0.2.5", trusted)
    assert is_trusted("::ffff:10.9.9.9", trusted) and is_trusted("2001:db8::1", trusted)
    assert not is_trusted("192.0.2.6", trusted) and not is_trusted("not an ip", trusted)
    assert not is_trusted("10.0.0.1", ())
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300'"):
        parse_networks("10.0.0.300")
