"""Accounts, their access policy, API keys, price lists and credit moves of `MemoryStore`;
the same semantics as sql_accounts and sql_money."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace

from smsgate.core.accounts import Account, AccountStatus
from smsgate.core.errors import Conflict
from smsgate.core.ledger import EntryKind, LedgerEntry
from smsgate.core.pricing import PriceList
from smsgate.services.account_policy import AccountPolicy
from smsgate.services.ports import AccountSearch, AccountToCreate
from smsgate.store.memory_tables import ApiKeyRow, MemoryTables
from smsgate.store.rules import prefix_matches


class MemoryAccounts(MemoryTables):
    async def create_account(self, new: AccountToCreate) -> Account:
        if any(a.name == new.name for a in self._accounts.values()):
            raise Conflict(f"an account named {new.name!r} exists", field="name")
        fields = asdict(new)
        password_hash = fields.pop("password_hash")
        account = Account(id=next(self._ids), balance=0, status=AccountStatus.ACTIVE, **fields)
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
        return self._chain(account_id)

    async def find_accounts(self, search: AccountSearch) -> list[Account]:
        text = search.text.lower()
        found = sorted(
            (
                a
                for a in self._accounts.values()
                if text in a.name.lower()
                and (search.parent_id is None or a.parent_id == search.parent_id)
                and not (search.top_level and a.parent_id is not None)
                and a.name > search.after
            ),
            key=lambda a: a.name,
        )
        return found[: search.limit]

    async def sub_accounts(self, parent_ids: Sequence[int], limit_each: int) -> list[Account]:
        found: list[Account] = []
        for parent_id in sorted(set(parent_ids)):
            children = sorted(
                (a for a in self._accounts.values() if a.parent_id == parent_id),
                key=lambda a: a.name,
            )
            found += children[:limit_each]
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
        self._keys[key_id] = ApiKeyRow(account_id, key_hash, prefix, now)
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
