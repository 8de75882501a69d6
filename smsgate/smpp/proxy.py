"""The PROXY protocol (HAProxy's, v1 and v2) before an SMPP connection's first PDU: a
trusted TCP load balancer names the client, so allow-lists, lockouts and per-address
caps see the customer. From `trusted` networks the header is required. `parse_networks`
and `is_trusted` also decide whose X-Forwarded-For the HTTP listener believes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import struct
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
V1_PREFIX = b"PROXY "
V1_MAX = 107  # the longest v1 line, CRLF included
V2_MAX_BODY = 1024  # addresses and TLVs: a balancer sends far less


class ProxyHeaderError(ValueError):
    """No PROXY header, or one that cannot be read."""


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated addresses and networks (`10.0.0.5, 192.168.0.0/24, ::1`);
    ValueError naming the first one that is neither."""
    found = []
    for item in (part.strip() for part in text.split(",")):
        if item:
            try:
                found.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an address or a network") from exc
    return tuple(found)


def is_trusted(address: str, trusted: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in trusted)


async def read_header(reader: asyncio.StreamReader) -> tuple[str, int] | None:
    """The client's (address, port) from a v1 or v2 header; None when the balancer
    speaks for itself (v1 `UNKNOWN`, v2 `LOCAL` or a family other than TCP over IPv4/6)."""
    try:
        first = await reader.readexactly(len(V1_PREFIX))
    except asyncio.IncompleteReadError as exc:
        raise ProxyHeaderError("the connection closed before its PROXY header") from exc
    if first == V1_PREFIX:
        return await _read_v1(reader)
    try:
        rest = await reader.readexactly(len(V2_SIGNATURE) - len(first) + 4)
    except asyncio.IncompleteReadError as exc:
        raise ProxyHeaderError("the connection closed in its PROXY header") from exc
    header = first + rest
    if header[: len(V2_SIGNATURE)] != V2_SIGNATURE:
        raise ProxyHeaderError("no PROXY header from a trusted balancer")
    return await _read_v2(reader, header[len(V2_SIGNATURE) :])


async def _read_v1(reader: asyncio.StreamReader) -> tuple[str, int] | None:
    try:
        line = await reader.readuntil(b"\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        raise ProxyHeaderError("a PROXY v1 line without its end") from exc
    if len(line) + len(V1_PREFIX) > V1_MAX:
        raise ProxyHeaderError("a PROXY v1 line longer than 107 bytes")
    fields = line[:-2].decode("ascii", "replace").split(" ")
    if fields[0] == "UNKNOWN":
        return None
    if len(fields) != 5 or fields[0] not in ("TCP4", "TCP6"):
        raise ProxyHeaderError("a PROXY v1 line that is not TCP4 or TCP6 with 4 fields")
    source, port = fields[1], fields[3]
    try:
        ip = ipaddress.ip_address(source)
    except ValueError as exc:
        raise ProxyHeaderError(f"a PROXY v1 source that is not an address: {source!r}") from exc
    if ip.version != (4 if fields[0] == "TCP4" else 6) or not port.isdigit() or int(port) > 65535:
        raise ProxyHeaderError("a PROXY v1 line with a wrong address family or port")
    return str(ip), int(port)


async def _read_v2(reader: asyncio.StreamReader, fixed: bytes) -> tuple[str, int] | None:
    version_command, family, length = fixed[0], fixed[1], struct.unpack("!H", fixed[2:4])[0]
    if version_command >> 4 != 2 or version_command & 0x0F not in (0, 1):
        raise ProxyHeaderError("a PROXY v2 header of another version or command")
    if length > V2_MAX_BODY:
        raise ProxyHeaderError(f"a PROXY v2 header longer than {V2_MAX_BODY} bytes")
    try:
        body = await reader.readexactly(length)
    except asyncio.IncompleteReadError as exc:
        raise ProxyHeaderError("the connection closed in its PROXY v2 addresses") from exc
    if version_command & 0x0F == 0:  # LOCAL: the balancer's own health check
        return None
    if family == 0x11 and length >= 12:  # TCP over IPv4
        return str(ipaddress.IPv4Address(body[0:4])), struct.unpack("!H", body[8:10])[0]
    if family == 0x21 and length >= 36:  # TCP over IPv6
        return str(ipaddress.IPv6Address(body[0:16])), struct.unpack("!H", body[32:34])[0]
    if family in (0x11, 0x21):
        raise ProxyHeaderError("a PROXY v2 header too short for its addresses")
    return None
