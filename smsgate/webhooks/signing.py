"""The webhook signature: HMAC-SHA256 over the timestamp and the exact body.

Header: `X-Smsgate-Signature: t=<unix seconds>,v1=<hex digest of "<t>.<body>">`.
Receivers recompute it with the shared secret and reject stale timestamps.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Smsgate-Signature"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, body: bytes, header: str, *, now: int, tolerance: int = 300) -> bool:
    """True when `header` signs `body` with `secret` and is at most `tolerance` s old."""
    try:
        fields = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp)
    return hmac.compare_digest(expected, header.strip())
