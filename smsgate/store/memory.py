"""`MemoryStore`: the `services.ports.Store` in dicts, for unit tests and trials.

Same semantics as SqlStore (the conformance suite runs both); the dispatch half is
in memory_dispatch. No method awaits between reading and writing, so each one is
atomic on the event loop; a method that can fail checks everything first.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

from smsgate.core.accounts import Account, AccountStatus
from smsgate.core.errors import Conflict, InsufficientCredit, NotFound
from smsgate.core.ledger import EntryKind, LedgerEntry
from smsgate.core.messages import Message, Part, Status
from smsgate.core.pricing import PriceList
from smsgate.services.account_policy import AccountPolicy
from smsgate.services.ports import Accepted, Submission
from smsgate.store.memory_dispatch import MemoryDispatch, OutboxItem, Queued
from smsgate.store.memory_lockout import MemoryLockout
from smsgate.store.memory_routing import MemoryRouting
from smsgate.store.memory_senders import MemorySenders
from smsgate.store.memory_smpp import MemorySmpp, SmppRows
from smsgate.store.memory_statistics import MemoryStatistics
from smsgate.store.memory_stoplist import MemoryStopList
from smsgate.store.records import new_messages
from smsgate.store.rules import prefix_matches


@dataclass(slots=True)
class _Key:
    account_id: int
    key_hash: str
    prefix: str
    created_at: float
    revoked_at: float | None = None


class MemoryStore(
    MemoryDispatch,
    MemoryStatistics,
    MemorySmpp,
    MemoryRouting,
    MemoryStopList,
    MemorySenders,
    MemoryLockout,
):
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._accounts: dict[int, Account] = {}
        self._passwords: dict[int, str | None] = {}
        self._policies: dict[int, AccountPolicy] = {}
        self._keys: dict[int, _Key] = {}
        self._ledger: list[LedgerEntry] = []
        self._prices: dict[int | None, dict[str, int]] = {}
        self._batches: dict[str, list[str]] = {}
        self._references: dict[tuple[int, str], str] = {}
        self._messages: dict[str, Queued] = {}
        self._parts: dict[str, dict[int, Part]] = {}
        self._by_upstream: dict[tuple[str, str], list[tuple[str, int]]] = {}
        self._outbox: dict[int, OutboxItem] = {}
        self._smpp = SmppRows()
        self._init_routing()

    # accounts, credentials, prices

    async def create_account(
        self,
        *,
        name: str,
        parent_id: int | None,
        own_balance: bool,
        currency: str,
        default_country: str,
        max_parts: int,
        password_hash: str | None,
        now: float,
    ) -> Account:
        if any(a.name == name for a in self._accounts.values()):
            raise Conflict(f"an account named {name!r} exists", field="name")
        account = Account(
            id=next(self._ids),
            name=name,
            parent_id=parent_id,
            own_balance=own_balance,
            balance=0,
            currency=currency,
            status=AccountStatus.ACTIVE,
            default_country=default_country,
            max_parts=max_parts,
            created_at=now,
        )
        self._accounts[account.id] = account
        self._passwords[account.id] = password_hash
        return account

    async def account(self, account_id: int) -> Account | None:
        return self._accounts.get(account_id)

    async def account_by_name(self, name: str) -> Account | None:
        return next((a for a in self._accounts.values() if a.name == name), None)

    async def accounts(self, parent_id: int | None = None) -> list[Account]:
        found = self._accounts.values()
        return [a for a in found if parent_id is None or a.parent_id == parent_id]

    async def chain(self, account_id: int) -> list[Account]:
        found: list[Account] = []
        account = self._accounts.get(account_id)
        while account is not None and len(found) <= 64:
            found.append(account)
            account = self._accounts.get(account.parent_id) if account.parent_id else None
        return found

    async def set_status(self, account_id: int, status: str) -> None:
        if account_id in self._accounts:
            account = self._accounts[account_id]
            self._accounts[account_id] = replace(account, status=AccountStatus(status))

    async def set_password_hash(self, account_id: int, password_hash: str) -> None:
        if account_id in self._accounts:
            self._passwords[account_id] = password_hash

    async def password_hash(self, account_id: int) -> str | None:
        return self._passwords.get(account_id)

    async def account_policy(self, account_id: int) -> AccountPolicy:
        return self._policies.get(account_id, AccountPolicy())

    async def set_account_policy(self, account_id: int, policy: AccountPolicy) -> None:
        if account_id in self._accounts:
            self._policies[account_id] = policy

    async def add_api_key(self, account_id: int, key_hash: str, prefix: str, now: float) -> int:
        if any(k.key_hash == key_hash for k in self._keys.values()):
            raise Conflict("this API key exists already")
        key_id = next(self._ids)
        self._keys[key_id] = _Key(account_id, key_hash, prefix, now)
        return key_id

    async def revoke_api_key(self, account_id: int, prefix: str, now: float) -> bool:
        keys = [
            k
            for k in self._keys.values()
            if k.account_id == account_id
            and k.revoked_at is None
            and prefix_matches(k.prefix, prefix)
        ]
        for key in keys:
            key.revoked_at = now
        return bool(keys)

    async def account_by_key_hash(self, key_hash: str) -> Account | None:
        for key in self._keys.values():
            if key.key_hash == key_hash and key.revoked_at is None:
                return self._accounts.get(key.account_id)
        return None

    async def api_keys(self, account_id: int) -> list[tuple[str, float, float | None]]:
        return [
            (k.prefix, k.created_at, k.revoked_at)
            for k in self._keys.values()
            if k.account_id == account_id
        ]

    async def set_price(self, owner_id: int | None, prefix: str, price: int) -> None:
        self._prices.setdefault(owner_id, {})[prefix] = price

    async def set_prices(self, owner_id: int | None, prices: Sequence[tuple[str, int]]) -> None:
        self._prices.setdefault(owner_id, {}).update(prices)

    async def price_lists(self, owner_ids: Sequence[int | None]) -> list[PriceList]:
        return [PriceList.of(owner, self._prices.get(owner, {})) for owner in owner_ids]

    # money

    def _move(
        self,
        moves: Sequence[tuple[int, EntryKind, int, str]],
        now: float,
        *,
        overdraw: bool = False,
    ) -> list[LedgerEntry]:
        """Check every move first, then apply them all with their ledger entries; no
        balance goes below zero unless `overdraw`."""
        balances: dict[int, int] = {}
        for account_id, _, amount, _ in moves:
            if account_id not in self._accounts:
                raise NotFound(f"no account {account_id}")
            balance = balances.get(account_id, self._accounts[account_id].balance) + amount
            if balance < 0 and not overdraw:
                raise InsufficientCredit("insufficient credit for this request")
            balances[account_id] = balance
        entries = []
        for account_id, kind, amount, reference in moves:
            balance = self._accounts[account_id].balance + amount
            self._accounts[account_id] = replace(self._accounts[account_id], balance=balance)
            entry = LedgerEntry(
                len(self._ledger) + 1, account_id, kind, amount, balance, reference, now
            )
            self._ledger.append(entry)
            entries.append(entry)
        return entries

    async def move_credit(
        self,
        *,
        movements: Sequence[tuple[int, EntryKind, int]],
        reference: str,
        now: float,
    ) -> list[LedgerEntry]:
        return self._move([(a, kind, amount, reference) for a, kind, amount in movements], now)

    async def ledger(
        self, account_id: int, *, limit: int, before_id: int | None
    ) -> list[LedgerEntry]:
        entries = [
            e
            for e in reversed(self._ledger)
            if e.account_id == account_id and (before_id is None or e.id < before_id)
        ]
        return entries[:limit]

    # messages

    async def accept(self, submission: Submission) -> Accepted:
        s = submission
        if s.reference is not None and (s.account_id, s.reference) in self._references:
            batch_id = self._references[(s.account_id, s.reference)]
            found = tuple(self._messages[i].message for i in self._batches[batch_id])
            return Accepted(batch_id, found, replayed=True)
        self._move([(s.payer_id, EntryKind.CHARGE, -s.total_cost, s.batch_id)], s.created_at)
        created = new_messages(s)
        for message in created:
            self._messages[message.id] = Queued(message, s.scheduled_at or s.created_at)
        self._batches[s.batch_id] = [m.id for m in created]
        if s.reference is not None:
            self._references[(s.account_id, s.reference)] = s.batch_id
        return Accepted(s.batch_id, created, replayed=False)

    async def message(self, message_id: str) -> Message | None:
        row = self._messages.get(message_id)
        return None if row is None else row.message

    async def messages(
        self,
        account_id: int,
        *,
        status: Status | None,
        batch_id: str | None,
        since: float | None,
        limit: int,
        before_id: str | None,
    ) -> list[Message]:
        found = [
            m
            for m in (row.message for row in self._messages.values())
            if m.account_id == account_id
            and (status is None or m.status is status)
            and (batch_id is None or m.batch_id == batch_id)
            and (since is None or m.created_at >= since)
            and (before_id is None or m.id < before_id)
        ]
        found.sort(key=lambda m: m.id, reverse=True)
        return found[:limit]

    async def cancel(self, message_id: str, now: float) -> Message:
        row = self._messages.get(message_id)
        if row is None:
            raise NotFound(f"no message {message_id}")
        if row.message.status is not Status.SCHEDULED:
            raise Conflict(f"a {row.message.status} message cannot be cancelled")
        self._refund(row, row.message.cost, now)
        return self._finish(row, Status.CANCELLED, now, row.message.error)
