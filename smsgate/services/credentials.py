"""Credentials: API keys (stored as SHA-256, shown once) and passwords (scrypt).

Verification results are cached per process so that a hot client does not pay for
scrypt on every request; the cache holds only digests, never a clear password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from smsgate.core.accounts import Account
from smsgate.core.errors import Unauthenticated
from smsgate.core.storable import storable
from smsgate.services.ports import Store

KEY_PREFIX = "sg_"
DISPLAY_PREFIX_LEN = 10
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_CACHE_SECONDS = 5.0


def new_api_key() -> tuple[str, str, str]:
    """A fresh key: (the key to show once, its hash to store, its display prefix)."""
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    return key, hash_api_key(key), key[:DISPLAY_PREFIX_LEN]


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)


class Authenticator:
    """Turns an API key or a username/password into the account they belong to."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._keys: dict[str, tuple[float, Account]] = {}
        self._passwords: dict[tuple[str, str], tuple[float, Account]] = {}

    async def by_api_key(self, key: str) -> Account:
        key_hash = hash_api_key(key)
        cached = self._keys.get(key_hash)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        account = await self._store.account_by_key_hash(key_hash)
        if account is None:
            raise Unauthenticated("invalid API key")
        self._keys[key_hash] = (time.monotonic() + _CACHE_SECONDS, account)
        return account

    async def by_password(self, username: str, password: str) -> Account:
        """Check a username/password; Unauthenticated for an unknown name or a wrong one."""
        cache_key = (username, hashlib.sha256(password.encode()).hexdigest())
        cached = self._passwords.get(cache_key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        account = await self._store.account_by_name(username) if storable(username) else None
        if account is None:
            raise Unauthenticated("invalid username or password", field="username")
        stored = await self._store.password_hash(account.id)
        if stored is None or not verify_password(password, stored):
            raise Unauthenticated("invalid username or password", field="password")
        self._passwords[cache_key] = (time.monotonic() + _CACHE_SECONDS, account)
        return account

    def forget(self) -> None:
        """Drop cached results (after a key is revoked or a password changed here)."""
        self._keys.clear()
        self._passwords.clear()
