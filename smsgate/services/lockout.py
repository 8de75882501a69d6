"""Failed-login lockout: counts failures per source address and per account name in the
store (so every process sees them) and refuses a blocked caller before any check.

Each process keeps a view of the blocked subjects and of the names with failures, read
again at most every second, so a login that is neither costs no store round trip.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from smsgate.core.accounts import check_account_name
from smsgate.core.errors import InvalidRequest, LoginBlocked
from smsgate.services.ports import Clock

ADDRESS = "a:"
NAME = "n:"
# Admins of the operator console count apart from accounts of the same name.
ADMIN = "m:"
REFRESH_SECONDS = 1.0
PRUNE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """`per_address` / `per_name` failures within `window` seconds block that address or
    name for `block` seconds; 0 turns that count off."""

    per_address: int = 10
    per_name: int = 5
    window: float = 300.0
    block: float = 300.0


@runtime_checkable
class LoginFailureStore(Protocol):
    async def add_login_failures(
        self, subjects: Sequence[str], now: float, window: float
    ) -> dict[str, int]:
        """Count one failure for each subject, in one transaction; a count whose first
        failure is `window` seconds old or more starts again at 1. Each subject's count."""
        ...

    async def block_logins(self, subjects: Sequence[str], until: float) -> None:
        """Block these subjects until `until`; their counts start again from 0."""
        ...

    async def login_watch(self, now: float, window: float) -> dict[str, float]:
        """Every subject blocked beyond `now`, with the end of its block, and every name
        ('n:') with failures within `window`, with 0."""
        ...

    async def clear_login_failures(self, subject: str, now: float) -> None:
        """Forget the subject's failures, unless it is blocked at `now`."""
        ...

    async def prune_login_failures(self, before: float, now: float) -> int:
        """Delete rows whose window began before `before` and that are not blocked."""
        ...


def address_subject(address: str | None) -> str | None:
    """The subject an address is counted under: an IPv4 address, or the /64 of an IPv6
    one (a single host often holds a whole /64); None when there is no address."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ADDRESS + address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ADDRESS + str(ip.ipv4_mapped)
        return ADDRESS + str(ipaddress.IPv6Network((ip, 64), strict=False))
    return ADDRESS + str(ip)


def name_subject(name: str, namespace: str = NAME) -> str | None:
    """The subject of a login name; None for a name no account can have."""
    try:
        return namespace + check_account_name(name)
    except InvalidRequest:
        return None


@dataclass(eq=False, slots=True)
class Lockout:
    """Takes the raw address and login name; works out their subjects only when it has
    to (something is blocked, a login failed), so a login costs a dictionary check."""

    store: LoginFailureStore
    clock: Clock
    policy: LockoutPolicy
    _blocked: dict[str, float] = field(init=False, default_factory=dict)
    # Names with failures, cleared by a success.
    _counting: set[str] = field(init=False, default_factory=set)
    _fresh_until: float = field(init=False, default=0.0)
    _refreshing: bool = field(init=False, default=False)
    _pruned_at: float = field(init=False, default=0.0)

    async def check(
        self, address: str | None, username: str | None = None, *, namespace: str = NAME
    ) -> None:
        """LoginBlocked when the address or the login name is blocked."""
        now = self.clock.now()
        if now >= self._fresh_until:
            await self._refresh(now)
        if not self._blocked:
            return
        subjects = (
            address_subject(address),
            name_subject(username, namespace) if username else None,
        )
        until = max(self._blocked.get(s, 0.0) if s else 0.0 for s in subjects)
        if until > now:
            raise LoginBlocked("too many failed logins: try again later", retry_after=until - now)

    async def failed(
        self, address: str | None, username: str | None, *, namespace: str = NAME
    ) -> None:
        """Count a failed login from the address and (when given) of the login name."""
        name = name_subject(username, namespace) if username else None
        limits = {address_subject(address): self.policy.per_address, name: self.policy.per_name}
        counted = [s for s, limit in limits.items() if s and limit > 0]
        if not counted:
            return
        now = self.clock.now()
        counts = await self.store.add_login_failures(counted, now, self.policy.window)
        if name in counts:
            self._counting.add(name)
        reached = [s for s in counted if counts.get(s, 0) >= limits[s]]
        if reached:
            until = now + self.policy.block
            await self.store.block_logins(reached, until)
            self._blocked.update(dict.fromkeys(reached, until))

    async def succeeded(self, username: str, *, namespace: str = NAME) -> None:
        """A password login succeeded: its name's count starts again (the address's stays)."""
        if not self._counting:
            return
        name = name_subject(username, namespace)
        if name in self._counting:
            self._counting.discard(name)
            await self.store.clear_login_failures(name, self.clock.now())

    async def _refresh(self, now: float) -> None:
        if self._refreshing:
            return
        self._refreshing = True
        try:
            fresh = await self.store.login_watch(now, self.policy.window)
            if now - self._pruned_at >= PRUNE_SECONDS:
                self._pruned_at = now
                await self.store.prune_login_failures(now - self.policy.window, now)
        finally:
            self._refreshing = False
        self._fresh_until = now + REFRESH_SECONDS
        # A block set here meanwhile is kept; blocks end only when their time is up.
        kept = {s: t for s, t in self._blocked.items() if t > now}
        self._blocked = {**kept, **{s: t for s, t in fresh.items() if t > now}}
        self._counting = {s for s, t in fresh.items() if t <= now}
