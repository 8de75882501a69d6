"""SMPP customers: who may bind (the account's access policy: addresses, number of binds,
counted on every node through leased rows in the store, `BindLeases`) and the durable
queue of receipts and MO handed to their binds as deliver_sm. The SMPP server parses
and renders, and charges nothing itself."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from smsgate.core.accounts import Account, check_active
from smsgate.core.errors import Forbidden
from smsgate.core.messages import Message
from smsgate.services.account_policy import AccountPolicies, AccountPolicy
from smsgate.services.catalog import Catalog
from smsgate.services.credentials import Authenticator
from smsgate.services.inbound_plan import UDH, InboundSettingsService, InboundSettingsStore
from smsgate.services.ports import LOCAL_NODE, OUTBOX_LEASE, Accepted, Clock
from smsgate.services.submit import SubmitCommand, SubmitService

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InboundSms:
    """An MO as a deliver_sm renders it: `text` in `encoding` (the raw bytes' hex when
    `binary`), received in `parts`; `flag` says why it was kept as hex, if it was."""

    id: int
    source: str
    destination: str
    text: str
    encoding: str
    received_at: float
    parts: int = 1
    flag: str | None = None


@dataclass(frozen=True, slots=True)
class SmppOutboxItem:
    """One pending smpp_outbox row: a receipt (`message` set) or an MO (`inbound` set)."""

    id: int
    account_id: int
    kind: str
    message: Message | None
    inbound: InboundSms | None
    attempts: int


# A node's binds stop counting this long after it last renewed them.
BIND_LEASE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class BindClaim:
    """A bind to register: `bind_id` unique, held by `node_id`, for `lease` seconds."""

    bind_id: str
    account_id: int
    node_id: str
    limit: int
    lease: float = BIND_LEASE_SECONDS


@runtime_checkable
class BindStore(Protocol):
    async def claim_bind(self, claim: BindClaim) -> bool:
        """Register the bind if the account holds fewer than `claim.limit` binds whose
        lease has not run out (on the database's clock, every node counted); False, and
        nothing stored, otherwise. Claims of one account are serialized."""
        ...

    async def release_bind(self, bind_id: str) -> None:
        """Forget the bind (unknown ids are ignored)."""
        ...

    async def renew_binds(self, node_id: str, lease: float) -> int:
        """Extend the lease of every bind of the node to `lease` seconds from now; how
        many there are."""
        ...

    async def release_node_binds(self, node_id: str) -> int:
        """Forget every bind of the node (it starts or stops); how many there were."""
        ...

    async def live_binds(self, account_id: int) -> int:
        """The account's binds whose lease has not run out, on every node."""
        ...


@runtime_checkable
class SmppStore(InboundSettingsStore, BindStore, Protocol):
    async def smpp_waiting_accounts(self) -> list[int]:
        """Accounts with at least one pending smpp_outbox row that no live claim holds."""
        ...

    async def smpp_pending(self, account_id: int, limit: int) -> list[SmppOutboxItem]:
        """The account's pending rows, oldest first."""
        ...

    async def smpp_claim(
        self, account_id: int, limit: int, node: str, lease: float
    ) -> list[SmppOutboxItem]:
        """The account's oldest pending rows that `node` may claim, claimed by it for
        `lease` seconds (as Store.claim_notifications claims)."""
        ...

    async def smpp_release(self, node: str) -> int:
        """End the claims `node` holds."""
        ...

    async def smpp_handed_over(
        self, delivered: Sequence[int], attempted: Sequence[int], now: float
    ) -> None:
        """Mark rows delivered (the ESME answered 0); count an attempt on the others;
        either ends the row's claim."""
        ...


class SmppCustomers:
    """Bind checks and the deliver_sm queue of SMPP customers, whose rows this gateway
    node (`node_id`) claims; how a long MO reaches an account's binds is read from its
    inbound settings (`settings`, over `store` when not given)."""

    def __init__(
        self,
        store: SmppStore,
        auth: Authenticator,
        catalog: Catalog,
        submit: SubmitService,
        clock: Clock,
        policies: AccountPolicies,
        *,
        settings: InboundSettingsService | None = None,
        node_id: str = LOCAL_NODE,
    ) -> None:
        self.node_id = node_id
        self._store = store
        self._auth = auth
        self._catalog = catalog
        self._submit = submit
        self._clock = clock
        self._policies = policies
        self._settings = settings or InboundSettingsService(store, clock)

    async def bind(
        self, system_id: str, password: str, peer_ip: str | None, bind_id: str
    ) -> tuple[Account, AccountPolicy]:
        """The account behind a bind request, registered as `bind_id` of this node, or
        Unauthenticated / Forbidden (also when the account holds its `max_binds` binds
        over every node already).
        """
        account = await self._auth.by_password(system_id, password, peer_ip)
        check_active(await self._catalog.chain(account.id))
        await self._policies.check_address(account.id, peer_ip)
        policy = await self._policies.policy(account.id)
        claim = BindClaim(bind_id, account.id, self.node_id, policy.max_binds)
        if not await self._store.claim_bind(claim):
            raise Forbidden(f"at most {policy.max_binds} concurrent binds")
        return account, policy

    @property
    def binds(self) -> BindStore:
        return self._store

    async def unbind(self, bind_id: str) -> None:
        """The bind is gone: it no longer counts against the account's limit."""
        await self._store.release_bind(bind_id)

    async def submit(self, account: Account, command: SubmitCommand) -> Accepted:
        """Submit within the account's send rate (the submit use case spends it)."""
        return await self._submit.submit(account, command)

    async def waiting_accounts(self) -> list[int]:
        return await self._store.smpp_waiting_accounts()

    async def claim(self, account_id: int, limit: int) -> list[SmppOutboxItem]:
        """The account's oldest pending rows no other node is handing over, claimed by
        this node."""
        return await self._store.smpp_claim(account_id, limit, self.node_id, OUTBOX_LEASE)

    async def release(self) -> None:
        """End this node's claims: it stops, or starts again after a crash."""
        await self._store.smpp_release(self.node_id)

    async def long_mo(self, account_id: int) -> str:
        """How a long MO reaches the account's binds: inbound_plan.UDH or PAYLOAD."""
        settings = (await self._settings.all()).get(account_id)
        return settings.smpp_long if settings is not None else UDH

    async def handed_over(self, delivered: Sequence[int], attempted: Sequence[int]) -> None:
        if delivered or attempted:
            await self._store.smpp_handed_over(delivered, attempted, self._clock.now())


@dataclass(eq=False, slots=True)
class BindLeases:
    """Keeps this node's binds counted: clears what a previous life of the node left,
    renews the leases three times per lease period, and clears them on leaving."""

    store: BindStore
    node_id: str
    lease: float = BIND_LEASE_SECONDS

    async def start(self) -> None:
        await self.store.release_node_binds(self.node_id)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                await self.store.renew_binds(self.node_id, self.lease)
            except Exception:
                log.exception("SMPP binds of node %s not renewed", self.node_id)

    async def leave(self) -> None:
        await self.store.release_node_binds(self.node_id)
