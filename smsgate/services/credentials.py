"""Credentials: API keys (stored as SHA-256, shown once) and passwords (scrypt).

scrypt runs on a small pool of threads, never on the event loop; an unknown name costs
one scrypt like a known one. A successful check is cached for a few seconds, keyed by a
per-process HMAC of the name and password; failed logins go to the `Lockout`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

from smsgate.core.accounts import Account
from smsgate.core.errors import Unauthenticated
from smsgate.core.storable import storable
from smsgate.services.changes import ACCOUNTS, KEYS, Changes
from smsgate.services.lockout import Lockout
from smsgate.services.ports import Clock, Store

KEY_PREFIX = "sg_"
DISPLAY_PREFIX_LEN = 10
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_CACHE_SECONDS = 5.0
DEFAULT_THREADS = 1


def new_api_key() -> tuple[str, str, str]:
    """A fresh key: (the key to show once, its hash to store, its display prefix)."""
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    return key, hash_api_key(key), key[:DISPLAY_PREFIX_LEN]


def hash_api_key(key: str) -> str:
    # Keys are 192 random bits: a fast hash is enough, nobody can guess their way back.
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


# Checked instead of a real hash when the name is unknown or has no password, so that
# such a login takes as long as a wrong password; no password matches it.
DUMMY_HASH = hash_password(secrets.token_urlsafe(24))

Verifier = Callable[[str, str], bool]
T = TypeVar("T")


class Authenticator:
    """Turns an API key or a username/password, and the caller's address, into the
    account they belong to; refuses a blocked address or name before any check."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        lockout: Lockout | None = None,
        threads: int = DEFAULT_THREADS,
        verify: Verifier = verify_password,
    ) -> None:
        self._store = store
        self._clock = clock
        self._lockout = lockout
        self._verify = verify
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="scrypt")
        self._secret = secrets.token_bytes(32)
        self._keys: dict[str, tuple[float, Account]] = {}
        self._passwords: dict[bytes, tuple[float, Account]] = {}
        self._checking: dict[bytes, asyncio.Future[Account]] = {}

    async def by_api_key(self, key: str, address: str | None = None) -> Account:
        if self._lockout is not None:
            await self._lockout.check(address)
        key_hash = hash_api_key(key)
        cached = self._keys.get(key_hash)
        if cached is not None and cached[0] > self._clock.now():
            return cached[1]
        account = await self._store.account_by_key_hash(key_hash)
        if account is None:
            if self._lockout is not None:
                await self._lockout.failed(address, None)
            raise Unauthenticated("invalid API key")
        self._keys[key_hash] = (self._clock.now() + _CACHE_SECONDS, account)
        return account

    async def by_password(
        self, username: str, password: str, address: str | None = None
    ) -> Account:
        """Check a username/password; Unauthenticated for an unknown name or a wrong one
        alike, LoginBlocked while the address or the name is blocked."""
        if self._lockout is not None:
            await self._lockout.check(address, username)
        cache_key = hmac.digest(
            self._secret, username.encode() + b"\0" + password.encode(), "sha256"
        )
        cached = self._passwords.get(cache_key)
        if cached is not None and cached[0] > self._clock.now():
            if self._lockout is not None:
                await self._lockout.succeeded(username)  # no store round trip unless counting
            return cached[1]
        # Callers with the same name and password share one check, which runs to its end
        # (and counts its failure) even when they leave.
        checking = self._checking.get(cache_key)
        if checking is None:
            checking = asyncio.ensure_future(self._check(username, password, address, cache_key))
            self._checking[cache_key] = checking
            checking.add_done_callback(lambda done: self._checked(cache_key, done))
        return await asyncio.shield(checking)

    async def _check(
        self, username: str, password: str, address: str | None, cache_key: bytes
    ) -> Account:
        account = await self._store.account_by_name(username) if storable(username) else None
        stored = None if account is None else await self._store.password_hash(account.id)
        matches = await self._run(partial(self._verify, password, stored or DUMMY_HASH))
        if account is None or stored is None or not matches:
            if self._lockout is not None:
                await self._lockout.failed(address, username)
            raise Unauthenticated("invalid username or password")
        self._passwords[cache_key] = (self._clock.now() + _CACHE_SECONDS, account)
        if self._lockout is not None:
            await self._lockout.succeeded(username)
        return account

    def _checked(self, cache_key: bytes, done: asyncio.Future[Account]) -> None:
        self._checking.pop(cache_key, None)
        if not done.cancelled():
            done.exception()  # retrieved, so that a check nobody awaits any more is quiet

    async def hash_password(self, password: str) -> str:
        """scrypt of a new password, off the event loop."""
        return await self._run(partial(hash_password, password))

    async def check_password(self, password: str, stored: str) -> bool:
        """Whether `password` matches the `stored` hash, off the event loop."""
        return await self._run(partial(self._verify, password, stored))

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    def forget(self, _key: str = "") -> None:
        """Drop cached results (after a key is revoked or a password changed)."""
        self._keys.clear()
        self._passwords.clear()

    def follow(self, changes: Changes) -> None:
        """Drop cached results when a key, a password or an account changes anywhere."""
        changes.on(ACCOUNTS, self.forget)
        changes.on(KEYS, self.forget)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
