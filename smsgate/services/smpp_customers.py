"""SMPP customers: who may bind, how fast they may submit, and what waits for their binds.

The policy of an account's binds (how many, from which addresses, how many messages
per second) and the durable queue of receipts and MO handed out as deliver_sm live here;
the SMPP server parses and renders, and charges nothing itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from smsgate.core.accounts import Account, check_active
from smsgate.core.errors import Forbidden
from smsgate.core.messages import Message
from smsgate.services.catalog import Catalog
from smsgate.services.credentials import Authenticator
from smsgate.services.ports import Accepted, Clock
from smsgate.services.submit import SubmitCommand, SubmitService
from smsgate.services.throttle import RateLimiter

DEFAULT_MAX_BINDS = 10


@dataclass(frozen=True, slots=True)
class SmppPolicy:
    """accounts.smpp_max_binds, allowed_ips (None: any address) and throughput (None: no cap)."""

    max_binds: int = DEFAULT_MAX_BINDS
    allowed_ips: tuple[str, ...] | None = None
    throughput: float | None = None


@dataclass(frozen=True, slots=True)
class InboundSms:
    id: int
    source: str
    destination: str
    text: str
    encoding: str
    received_at: float


@dataclass(frozen=True, slots=True)
class SmppOutboxItem:
    """One pending smpp_outbox row: a receipt (`message` set) or an MO (`inbound` set)."""

    id: int
    account_id: int
    kind: str
    message: Message | None
    inbound: InboundSms | None
    attempts: int


@runtime_checkable
class SmppStore(Protocol):
    async def smpp_policy(self, account_id: int) -> SmppPolicy: ...

    async def set_smpp_policy(self, account_id: int, policy: SmppPolicy) -> None: ...

    async def smpp_waiting_accounts(self) -> list[int]:
        """Accounts with at least one pending smpp_outbox row."""
        ...

    async def smpp_pending(self, account_id: int, limit: int) -> list[SmppOutboxItem]:
        """The account's pending rows, oldest first."""
        ...

    async def smpp_handed_over(
        self, delivered: Sequence[int], attempted: Sequence[int], now: float
    ) -> None:
        """Mark rows delivered (the ESME answered 0); count an attempt on the others."""
        ...

    async def add_smpp_inbound(
        self,
        *,
        account_id: int,
        connector: str,
        source: str,
        destination: str,
        text: str,
        encoding: str,
        parts: int,
        now: float,
    ) -> int:
        """Store an MO routed to the account and queue it for the account's SMPP binds."""
        ...


def ip_allowed(peer_ip: str | None, allowed: tuple[str, ...] | None) -> bool:
    """True when no list is set, or the peer is in it (addresses or CIDR networks)."""
    if allowed is None:
        return True
    if peer_ip is None:
        return False
    try:
        address = ipaddress.ip_address(peer_ip)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def parse_allowed_ips(value: str | None) -> tuple[str, ...] | None:
    if value is None or not value.strip():
        return None
    return tuple(item.strip() for item in value.split(",") if item.strip())


class SmppCustomers:
    """Bind checks, per-account throughput, and the deliver_sm queue of SMPP customers."""

    def __init__(
        self,
        store: SmppStore,
        auth: Authenticator,
        catalog: Catalog,
        submit: SubmitService,
        clock: Clock,
    ) -> None:
        self._store = store
        self._auth = auth
        self._catalog = catalog
        self._submit = submit
        self._clock = clock
        self._limiters: dict[int, tuple[float, RateLimiter]] = {}

    async def bind(
        self,
        system_id: str,
        password: str,
        peer_ip: str | None,
        open_binds: Callable[[int], int],
    ) -> tuple[Account, SmppPolicy]:
        """The account behind a bind request, or Unauthenticated / Forbidden.

        `open_binds(account_id)` is how many binds the account holds already.
        """
        account = await self._auth.by_password(system_id, password, peer_ip)
        check_active(await self._catalog.chain(account.id))
        policy = await self._store.smpp_policy(account.id)
        if not ip_allowed(peer_ip, policy.allowed_ips):
            raise Forbidden(f"binds from {peer_ip} are not allowed for this account")
        if open_binds(account.id) >= policy.max_binds:
            raise Forbidden(f"at most {policy.max_binds} concurrent binds")
        return account, policy

    async def submit(
        self, account: Account, policy: SmppPolicy, command: SubmitCommand
    ) -> Accepted:
        """Submit within the account's throughput; RateLimited spends and stores nothing."""
        if policy.throughput:
            self._limiter(account.id, policy.throughput).take(account.id, len(command.to))
        return await self._submit.submit(account, command)

    def _limiter(self, account_id: int, rate: float) -> RateLimiter:
        known = self._limiters.get(account_id)
        if known is None or known[0] != rate:
            known = (rate, RateLimiter(self._clock, rate))
            self._limiters[account_id] = known
        return known[1]

    async def set_policy(self, account: Account, policy: SmppPolicy) -> None:
        await self._store.set_smpp_policy(account.id, policy)

    async def waiting_accounts(self) -> list[int]:
        return await self._store.smpp_waiting_accounts()

    async def pending(self, account_id: int, limit: int) -> list[SmppOutboxItem]:
        return await self._store.smpp_pending(account_id, limit)

    async def handed_over(self, delivered: Sequence[int], attempted: Sequence[int]) -> None:
        if delivered or attempted:
            await self._store.smpp_handed_over(delivered, attempted, self._clock.now())
