"""Sender ids registered per account: add, list and delete rows of the `senders` table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from smsgate.core.accounts import Account
from smsgate.core.errors import NotFound
from smsgate.core.senders import check_sender
from smsgate.services.ports import Clock

ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class SenderId:
    id: int
    account_id: int
    sender: str
    status: str
    created_at: float


@runtime_checkable
class SendersStore(Protocol):
    async def add_sender(self, account_id: int, sender: str, status: str, now: float) -> SenderId:
        """Register `sender` for the account; Conflict when it has it already."""
        ...

    async def senders(self, account_id: int) -> list[SenderId]:
        """The account's sender ids, oldest first."""
        ...

    async def delete_senders(self, account_id: int, ids: Sequence[int]) -> int:
        """Delete these sender ids of the account; how many there were."""
        ...


@dataclass(eq=False, slots=True)
class SendersService:
    store: SendersStore
    clock: Clock

    async def add(self, account: Account, sender: str, *, status: str = ACTIVE) -> SenderId:
        check_sender(sender)
        return await self.store.add_sender(account.id, sender, status, self.clock.now())

    async def list(self, account: Account) -> list[SenderId]:
        return await self.store.senders(account.id)

    async def delete(
        self, account: Account, *, sender: str | None = None, sender_id: int | None = None
    ) -> SenderId:
        """Delete one sender id, named by its text or its id; NotFound when it has none."""
        for found in await self.store.senders(account.id):
            if found.id == sender_id or (sender is not None and found.sender == sender):
                await self.store.delete_senders(account.id, [found.id])
                return found
        raise NotFound(f"no sender id {sender or sender_id}", field="sender")
