"""Portal sessions: a signed cookie (account, random nonce, expiry) and the CSRF token
derived from its nonce. Nothing is kept on the server: the HMAC key is the portal secret
kept in the data directory, so every HTTP worker reads the same cookies."""

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
    """A browser's session: `account_id` None until it logs in."""

    nonce: str
    expires: int
    account_id: int | None = None


class SessionCodec:
    """Signs and checks session cookies and CSRF tokens with one secret."""

    def __init__(self, secret: bytes, *, lifetime: int = SESSION_SECONDS) -> None:
        self._key = hmac.digest(secret, b"smsgate portal sessions", "sha256")
        self.lifetime = lifetime

    def new(self, now: float, account_id: int | None = None) -> Session:
        """A fresh session (a new nonce, so a new CSRF token) valid for `lifetime`."""
        return Session(secrets.token_urlsafe(16), int(now) + self.lifetime, account_id)

    def encode(self, session: Session) -> str:
        body = f"{_VERSION}.{session.account_id or 0}.{session.nonce}.{session.expires}"
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
        _, account, nonce, expires = fields
        if not account.isdigit() or not expires.isdigit():
            return None
        if int(expires) <= now:
            return None
        return Session(nonce, int(expires), int(account) or None)

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
