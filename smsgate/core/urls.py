"""URLs customers give smsgate to call back (a message's callback_url, a number's
webhook_url): http or https with a host, whose port parses, at most URL_MAX characters."""

from __future__ import annotations

from urllib.parse import urlsplit

from smsgate.core.errors import InvalidRequest
from smsgate.core.storable import check_storable

URL_MAX = 2048


def is_http_url(value: str) -> bool:
    """An http(s) URL with a host, whose brackets and port parse ("http://]x" does not)."""
    try:
        url = urlsplit(value)
        port = url.port
    except ValueError:
        return False
    return url.scheme in ("http", "https") and bool(url.netloc) and port != 0


def check_http_url(value: str | None, field: str) -> None:
    """Raise InvalidRequest naming `field` unless `value` is None or a URL we can call."""
    if value is None:
        return
    check_storable(value, field)
    if len(value) > URL_MAX:
        raise InvalidRequest(f"{field} must be at most {URL_MAX} characters", field=field)
    if not is_http_url(value):
        raise InvalidRequest(f"{field} must be an http(s) URL", field=field)
