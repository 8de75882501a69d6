"""Portal and console sessions: a signed cookie (who logged in, random nonce, expiry) and
the CSRF token derived from its nonce. Nothing is kept on the server: the HMAC key comes
from the portal secret kept in the data directory, so every HTTP worker reads the same
cookies; each purpose (the customer portal, the operator console) has a key of its own,
so a cookie of one is worth nothing to the other."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

COOKIE = "smsgate_portal"
SESSION_SECONDS = 8 * 3600
_VERSION = "v1"


@dataclass(frozen=True, slots=True)
class Session:
    """A browser's session: `user_id` (the account in the portal, the admin in the
    console) None until it logs in."""

    nonce: str
    expires: int
    user_id: int | None = None


class SessionCodec:
    """Signs and checks session cookies and CSRF tokens with one secret."""

    def __init__(
        self, secret: bytes, *, purpose: str = "portal", lifetime: int = SESSION_SECONDS
    ) -> None:
        self._key = hmac.digest(secret, f"smsgate {purpose} sessions".encode(), "sha256")
        self.lifetime = lifetime

    def new(self, now: float, user_id: int | None = None) -> Session:
        """A fresh session (a new nonce, so a new CSRF token) valid for `lifetime`."""
        return Session(secrets.token_urlsafe(16), int(now) + self.lifetime, user_id)

    def encode(self, session: Session) -> str:
        body = f"{_VERSION}.{session.user_id or 0}.{session.nonce}.{session.expires}"
        return f"{body}.{self._sign(body)}"

    def decode(self, value: str | None, now: float) -> Session | None:
        """The session of a cookie value; None when it is missing, forged or expired."""
        if not value or len(value) > 200 or not value.isascii():
            return None
        body, _, signature = value.rpartition(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        fields = body.split(".")
        if len(fields) != 4 or fields[0] != _VERSION:
            return None
        _, user, nonce, expires = fields
        if not user.isdigit() or not expires.isdigit():
            return None
        if int(expires) <= now:
            return None
        return Session(nonce, int(expires), int(user) or None)

    def csrf_token(self, session: Session) -> str:
        return self._sign(f"csrf.{session.nonce}")

    def csrf_matches(self, session: Session, token: str | None) -> bool:
        return (
            token is not None
            and token.isascii()
            and hmac.compare_digest(token, self.csrf_token(session))
        )

    def _sign(self, text: str) -> str:
        digest = hmac.digest(self._key, text.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
