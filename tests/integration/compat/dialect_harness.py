"""What the SMSC and SMS Partner test gateways share: the gateway, an HTTP client to it,
alice and her key, her messages and balances, and the snapshot a refused request must
leave unchanged (messages, ledger, accounts and the dialect's own rows)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from smsgate.core.messages import Message
from smsgate.services.ports import MessageQuery


@dataclass(frozen=True)
class Snapshot:
    messages: tuple[tuple[str, str], ...]
    ledger: tuple[int, ...]
    accounts: tuple[tuple[str, int, str], ...]
    own: tuple[tuple[int, str], ...]


@dataclass
class DialectGateway:
    gateway: Gateway
    http: httpx.AsyncClient
    alice: Account
    key: str

    async def messages(self, account: Account | None = None) -> list[Message]:
        return await self.gateway.store.messages(
            (account or self.alice).id, MessageQuery(limit=10_000)
        )

    async def balance(self, name: str = "alice") -> int:
        return (await self.gateway.accounts.get(name)).balance

    async def own_rows(self, account: Account) -> list[tuple[int, str]]:
        """The dialect's own rows of `account` (its senders, its STOP list...)."""
        return []

    async def snapshot(self) -> Snapshot:
        store = self.gateway.store
        accounts = sorted(await store.accounts(), key=lambda a: a.id)
        messages: list[tuple[str, str]] = []
        ledger: list[int] = []
        own: list[tuple[int, str]] = []
        for account in accounts:
            messages += [(m.id, m.status.value) for m in await self.messages(account)]
            ledger += [e.id for e in await store.ledger(account.id, limit=10_000, before_id=None)]
            own += await self.own_rows(account)
        return Snapshot(
            tuple(sorted(messages)),
            tuple(sorted(ledger)),
            tuple((a.name, a.balance, a.status.value) for a in accounts),
            tuple(sorted(own)),
        )
