"""An account's access policy: the addresses it may connect from, its send rate, its SMPP binds.

`AccountPolicies` reads the policy through a per-process cache of a few seconds, checks
a caller's address right after authentication on every surface, and spends the
account's send rate for the submit use case (one bucket per account, whatever the way in).
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
from dataclasses import KW_ONLY, dataclass, field
from typing import Protocol, runtime_checkable

from smsgate.core.errors import Forbidden, InvalidRequest
from smsgate.services.changes import POLICY, Changes, drop_entry
from smsgate.services.ports import Clock
from smsgate.services.throttle import RateLimiter, SendCountStore, SharedCounts

DEFAULT_MAX_BINDS = 10
MAX_BINDS_LIMIT = 1000
MAX_ALLOWED_IPS = 100
MAX_SEND_RATE = 1_000_000.0
SOURCE_IP = "source_ip"


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    """allowed_ips (None: any address), send_rate in messages a second (None: no own
    limit) and max_binds, the concurrent SMPP binds of the account on one process."""

    allowed_ips: tuple[str, ...] | None = None
    send_rate: float | None = None
    max_binds: int = DEFAULT_MAX_BINDS


@runtime_checkable
class AccountPolicyStore(Protocol):
    async def account_policy(self, account_id: int) -> AccountPolicy:
        """The account's policy; the defaults for an unknown account."""
        ...

    async def set_account_policy(self, account_id: int, policy: AccountPolicy) -> None: ...


def ip_allowed(peer_ip: str | None, allowed: tuple[str, ...] | None) -> bool:
    """True when no list is set, or the peer is in it (addresses or CIDR networks).

    An IPv4 peer seen through an IPv6 socket (::ffff:a.b.c.d) is its IPv4 address."""
    if allowed is None:
        return True
    if peer_ip is None:
        return False
    try:
        address = ipaddress.ip_address(peer_ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for entry in allowed:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def parse_allowed_ips(value: str | None) -> tuple[str, ...] | None:
    """The stored comma-separated list; empty or NULL allows any address."""
    if value is None or not value.strip():
        return None
    return tuple(item.strip() for item in value.split(",") if item.strip())


def checked_policy(policy: AccountPolicy) -> AccountPolicy:
    """The policy with its allow-list normalized, or InvalidRequest naming the field."""
    return AccountPolicy(
        allowed_ips=_checked_ips(policy.allowed_ips),
        send_rate=_checked_rate(policy.send_rate),
        max_binds=_checked_binds(policy.max_binds),
    )


def _checked_ips(entries: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if entries is None:
        return None
    if not entries:
        raise InvalidRequest(
            "an empty allowed_ips would refuse every address; clear it to allow any",
            field="allowed_ips",
        )
    if len(entries) > MAX_ALLOWED_IPS:
        raise InvalidRequest(
            f"allowed_ips has at most {MAX_ALLOWED_IPS} entries", field="allowed_ips"
        )
    normalized: list[str] = []
    for entry in entries:
        try:
            network = ipaddress.ip_network(entry.strip(), strict=True)
        except ValueError as exc:
            raise InvalidRequest(
                f"allowed_ips: {entry!r} is not an IP address or CIDR network ({exc})",
                field="allowed_ips",
            ) from exc
        whole = network.prefixlen == network.max_prefixlen
        text = str(network.network_address) if whole else str(network)
        if text not in normalized:
            normalized.append(text)
    return tuple(normalized)


def _checked_rate(rate: float | None) -> float | None:
    if rate is None:
        return None
    if isinstance(rate, bool) or not math.isfinite(rate) or not 0 < rate <= MAX_SEND_RATE:
        raise InvalidRequest(
            f"send_rate must be more than 0 and at most {MAX_SEND_RATE:g} messages a second",
            field="send_rate",
        )
    return float(rate)


def _checked_binds(binds: int) -> int:
    if isinstance(binds, bool) or not 0 <= binds <= MAX_BINDS_LIMIT:
        raise InvalidRequest(f"max_binds must be 0-{MAX_BINDS_LIMIT}", field="max_binds")
    return binds


@dataclass(eq=False, slots=True)
class AccountPolicies:
    """Cached policies, the address check of every surface, and the per-account send rate.

    `default_rate` is the gateway-wide limit of every account (0: none); an account's
    own send_rate applies when lower. With `shared` (PostgreSQL), every process enforces
    the rate on what all processes of all nodes accepted (`throttle.SharedCounts`, as
    `holder`); without, `share` is the fraction of the rate this process enforces (1/N
    with N HTTP workers), so the gateway as a whole keeps to the rate.
    """

    store: AccountPolicyStore
    clock: Clock
    _: KW_ONLY
    default_rate: float = 0.0
    share: float = 1.0
    ttl: float = 2.0
    changes: Changes = field(default_factory=Changes)
    shared: SendCountStore | None = None
    holder: str = ""
    _counts: SharedCounts | None = field(init=False, default=None)
    _cached: dict[int, tuple[float, AccountPolicy]] = field(init=False, default_factory=dict)
    _loading: dict[int, asyncio.Future[AccountPolicy]] = field(init=False, default_factory=dict)
    _limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self._limiter = RateLimiter(self.clock)
        if self.shared is not None:
            self._counts = SharedCounts(self.shared, self._limiter, self.clock, self.holder)

    async def policy(self, account_id: int) -> AccountPolicy:
        """The account's policy as this process saw it at most `ttl` seconds ago;
        callers that miss it at once share one read of the store."""
        hit = self._cached.get(account_id)
        if hit is not None and hit[0] > self.clock.now():
            return hit[1]
        loading = self._loading.get(account_id)
        if loading is None:
            loading = asyncio.ensure_future(self._load(account_id))
            self._loading[account_id] = loading
            loading.add_done_callback(lambda _: self._loading.pop(account_id, None))
        return await asyncio.shield(loading)

    async def _load(self, account_id: int) -> AccountPolicy:
        policy = await self.store.account_policy(account_id)
        self._cached[account_id] = (self.clock.now() + self.ttl, policy)
        return policy

    async def check_address(self, account_id: int, peer_ip: str | None) -> None:
        """Forbidden (field `source_ip`) when the account's allow-list leaves the peer out."""
        policy = await self.policy(account_id)
        if not ip_allowed(peer_ip, policy.allowed_ips):
            raise Forbidden(f"source IP {peer_ip} is not allowed", field=SOURCE_IP)

    async def take(self, account_id: int, count: int) -> None:
        """Spend `count` messages of the account's rate, or raise RateLimited and spend none."""
        own = (await self.policy(account_id)).send_rate
        rates = [r for r in (own, self.default_rate) if r]
        if rates:
            self._limiter.take(account_id, count, min(rates) * self.share)
            if self._counts is not None:
                self._counts.taken(account_id, count)
                self._counts.start()

    async def close(self) -> None:
        if self._counts is not None:
            await self._counts.close()

    async def read(self, account_id: int) -> AccountPolicy:
        """The stored policy, bypassing the cache (for showing it)."""
        return await self.store.account_policy(account_id)

    async def set(self, account_id: int, policy: AccountPolicy) -> AccountPolicy:
        """Validate and store a whole policy; this process applies it at once, the
        others when the change reaches them (within a second; `ttl` at worst)."""
        policy = checked_policy(policy)
        await self.store.set_account_policy(account_id, policy)
        self._cached[account_id] = (self.clock.now() + self.ttl, policy)
        self.changes.announce(POLICY, account_id)
        return policy

    def forget(self, key: str) -> None:
        """Read the account's policy (every policy, for "") again next time."""
        drop_entry(self._cached, key)

    def follow(self, changes: Changes) -> None:
        changes.on(POLICY, self.forget)
