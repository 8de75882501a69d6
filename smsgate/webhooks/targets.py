"""Webhook URLs: the checks a URL passes before any POST to it, and what every request to
it starts with (request target, Host and User-Agent fields), encoded once."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"[a-z0-9._-]+")
_SAFE = "/!$&'()*+,;=:@%~"  # kept as is in path and query; the rest is percent-encoded

Origin = tuple[str, str, int]  # scheme, host, port


class WebhookError(Exception):
    """The POST got no usable answer: connect/TLS failure, timeout, malformed answer."""


@dataclass(frozen=True, slots=True)
class Target:
    origin: Origin
    path: bytes  # request target: path and query
    fields: tuple[tuple[bytes, bytes], ...]  # Host and User-Agent
    label: str  # scheme://authority, for messages (the path and query may hold secrets)


def parse_target(url: str) -> Target:
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
    fields = ((b"Host", authority.encode("ascii")), (b"User-Agent", b"smsgate"))
    return Target((scheme, host, port), target.encode("ascii"), fields, f"{scheme}://{authority}")
