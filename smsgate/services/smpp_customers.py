"""SMPP customers: who may bind, and what waits for their binds.

A bind is checked against the account's access policy (services.account_policy: the
addresses, the number of binds); the durable queue of receipts and MO handed out as
deliver_sm lives here. The SMPP server parses and renders, and charges nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


@runtime_checkable
class SmppStore(InboundSettingsStore, Protocol):
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
    node (`node`) claims; how a long MO reaches an account's binds is read from its
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
        node: str = LOCAL_NODE,
    ) -> None:
        self._store = store
        self._auth = auth
        self._catalog = catalog
        self._submit = submit
        self._clock = clock
        self._policies = policies
        self._settings = settings or InboundSettingsService(store, clock)
        self.node = node

    async def bind(
        self,
        system_id: str,
        password: str,
        peer_ip: str | None,
        open_binds: Callable[[int], int],
    ) -> tuple[Account, AccountPolicy]:
        """The account behind a bind request, or Unauthenticated / Forbidden.

        `open_binds(account_id)` is how many binds the account holds already.
        """
        account = await self._auth.by_password(system_id, password, peer_ip)
        check_active(await self._catalog.chain(account.id))
        await self._policies.check_address(account.id, peer_ip)
        policy = await self._policies.policy(account.id)
        if open_binds(account.id) >= policy.max_binds:
            raise Forbidden(f"at most {policy.max_binds} concurrent binds")
        return account, policy

    async def submit(self, account: Account, command: SubmitCommand) -> Accepted:
        """Submit within the account's send rate (the submit use case spends it)."""
        return await self._submit.submit(account, command)

    async def waiting_accounts(self) -> list[int]:
        return await self._store.smpp_waiting_accounts()

    async def claim(self, account_id: int, limit: int) -> list[SmppOutboxItem]:
        """The account's oldest pending rows no other node is handing over, claimed by
        this node."""
        return await self._store.smpp_claim(account_id, limit, self.node, OUTBOX_LEASE)

    async def release(self) -> None:
        """End this node's claims: it stops, or starts again after a crash."""
        await self._store.smpp_release(self.node)

    async def long_mo(self, account_id: int) -> str:
        """How a long MO reaches the account's binds: inbound_plan.UDH or PAYLOAD."""
        settings = (await self._settings.all()).get(account_id)
        return settings.smpp_long if settings is not None else UDH

    async def handed_over(self, delivered: Sequence[int], attempted: Sequence[int]) -> None:
        if delivered or attempted:
            await self._store.smpp_handed_over(delivered, attempted, self._clock.now())
