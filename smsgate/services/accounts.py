"""Account administration: accounts and sub-accounts, keys, passwords, credit, prices.

Used by the CLI (as the operator), the native API and the dialects (as an account
acting on its own sub-accounts). Every money movement goes through `Store.move_credit`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from smsgate.core.accounts import (
    ID_MAX,
    NAME_MAX,
    Account,
    AccountStatus,
    check_account_name,
    funding_account,
)
from smsgate.core.errors import Conflict, Forbidden, InsufficientCredit, InvalidRequest, NotFound
from smsgate.core.ledger import EntryKind, LedgerEntry, check_topup
from smsgate.core.pricing import check_prefix
from smsgate.core.storable import storable
from smsgate.services.catalog import Catalog
from smsgate.services.changes import ACCOUNTS, KEYS, PRICES, Changes
from smsgate.services.credentials import (
    DISPLAY_PREFIX_LEN,
    Authenticator,
    new_api_key,
)
from smsgate.services.ports import AccountSearch, AccountToCreate, Clock, Store

DEFAULT_CURRENCY = "EUR"
DEFAULT_MAX_PARTS = 10
MAX_PARTS_LIMIT = 255


@dataclass(frozen=True, slots=True)
class NewAccount:
    account: Account
    api_key: str


class AccountService:
    """Each change of what a process caches (status, password, keys, prices) is
    announced to every process through `changes`."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        auth: Authenticator,
        clock: Clock,
        changes: Changes | None = None,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._auth = auth
        self._clock = clock
        self._changes = changes or Changes()

    async def create(
        self,
        name: str,
        *,
        parent: Account | None = None,
        credit: int = 0,
        own_balance: bool = True,
        password: str | None = None,
        currency: str | None = None,
        default_country: str | None = None,
        max_parts: int | None = None,
    ) -> NewAccount:
        """Create an account (a sub-account when `parent` is given) with a first API key.

        Initial `credit` on a sub-account is moved from the parent's funds; on a root
        account it is a top-up.
        """
        check_account_name(name)
        if await self._store.account_by_name(name) is not None:
            raise Conflict(f"an account named {name!r} exists", field="name")
        if credit < 0:
            raise InvalidRequest("initial credit cannot be negative", field="credit")
        if credit and not own_balance:
            raise InvalidRequest("a shared-balance account holds no credit", field="credit")
        if password is not None:
            check_password(password)
        if parent is not None and credit:
            payer = funding_account(await self._catalog.chain(parent.id))
            if payer.balance < credit:
                raise InsufficientCredit(f"{payer.name} has less than the initial credit")
        currency = (currency or (parent.currency if parent else DEFAULT_CURRENCY)).upper()
        country = (default_country or (parent.default_country if parent else "")).upper()
        if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
            raise InvalidRequest("currency must be 3 letters (ISO 4217)", field="currency")
        if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
            raise InvalidRequest(
                "default_country must be 2 letters (ISO 3166)", field="default_country"
            )
        parts = max_parts or (parent.max_parts if parent else DEFAULT_MAX_PARTS)
        if not 1 <= parts <= MAX_PARTS_LIMIT:
            raise InvalidRequest(f"max_parts must be 1-{MAX_PARTS_LIMIT}", field="max_parts")
        password_hash = await self._auth.hash_password(password) if password else None
        account = await self._store.create_account(
            AccountToCreate(
                name=name,
                parent_id=parent.id if parent else None,
                own_balance=own_balance,
                currency=currency,
                default_country=country,
                max_parts=parts,
                password_hash=password_hash,
                created_at=self._clock.now(),
            )
        )
        key = await self.create_key(account)
        if credit:
            if parent is None:
                await self.topup(account, credit)
            else:
                await self.transfer(parent, account, credit)
        refreshed = await self._store.account(account.id)
        assert refreshed is not None
        return NewAccount(refreshed, key)

    async def get(self, name: str) -> Account:
        account = await self._store.account_by_name(name) if storable(name) else None
        if account is None:
            raise NotFound(f"no account named {name!r}")
        return account

    async def get_by_id(self, account_id: int) -> Account:
        account = await self._store.account(account_id) if 0 < account_id <= ID_MAX else None
        if account is None:
            raise NotFound(f"no account {account_id}")
        return account

    async def list_accounts(self, parent: Account | None = None) -> list[Account]:
        return await self._store.accounts(parent.id if parent else None)

    async def find(
        self,
        text: str = "",
        *,
        parent: Account | None = None,
        top_level: bool = False,
        after: str = "",
        limit: int = 50,
    ) -> list[Account]:
        """A page of accounts by name: those whose name contains `text` (any case), the
        sub-accounts of `parent`, or the top-level ones; after the name `after`."""
        text = text.strip()
        if len(text) > NAME_MAX or not storable(text):
            raise InvalidRequest(f"search for up to {NAME_MAX} characters of a name", field="text")
        if after:
            check_account_name(after)
        search = AccountSearch(
            limit=limit,
            text=text,
            parent_id=parent.id if parent else None,
            top_level=top_level,
            after=after,
        )
        return await self._store.find_accounts(search)

    async def sub_accounts(
        self, parents: Sequence[Account], limit_each: int
    ) -> dict[int, list[Account]]:
        """The first `limit_each` sub-accounts (by name) of each of `parents`, by parent id."""
        found: dict[int, list[Account]] = {parent.id: [] for parent in parents}
        for child in await self._store.sub_accounts(list(found), limit_each):
            assert child.parent_id is not None
            found[child.parent_id].append(child)
        return found

    async def subaccount(self, parent: Account, account_id: int) -> Account:
        """A direct child of `parent`; Forbidden for anybody else's account."""
        child = await self._store.account(account_id) if 0 < account_id <= ID_MAX else None
        if child is None:
            raise NotFound(f"no sub-account {account_id}")
        if child.parent_id != parent.id:
            raise Forbidden("not a sub-account of this account")
        return child

    async def create_key(self, account: Account) -> str:
        key, key_hash, prefix = new_api_key()
        await self._store.add_api_key(account.id, key_hash, prefix, self._clock.now())
        return key

    async def revoke_key(self, account: Account, key_or_prefix: str) -> None:
        """Revoke by the key itself or its display prefix (its first characters)."""
        prefix = key_or_prefix[:DISPLAY_PREFIX_LEN]
        if len(prefix) < DISPLAY_PREFIX_LEN or not await self._store.revoke_api_key(
            account.id, prefix, self._clock.now()
        ):
            raise NotFound(f"no active key starting with {prefix!r}")
        self._auth.forget()
        self._changes.announce(KEYS, account.id)

    async def keys(self, account: Account) -> list[tuple[str, float, float | None]]:
        return await self._store.api_keys(account.id)

    async def set_password(self, account: Account, password: str) -> None:
        check_password(password)
        await self._store.set_password_hash(account.id, await self._auth.hash_password(password))
        self._auth.forget()
        self._changes.announce(ACCOUNTS, account.id)

    async def set_status(self, account: Account, status: AccountStatus) -> Account:
        await self._store.set_status(account.id, status.value)
        self._catalog.forget()
        self._auth.forget()
        self._changes.announce(ACCOUNTS, account.id)
        return await self.get_by_id(account.id)

    async def topup(self, account: Account, amount: int, *, note: str = "topup") -> LedgerEntry:
        """Add (or, negative, remove) credit by the operator: a top-up or an adjustment."""
        check_topup(amount)
        if not account.own_balance:
            raise InvalidRequest("this account shares its parent's balance")
        kind = EntryKind.TOPUP if amount > 0 else EntryKind.ADJUSTMENT
        entries = await self._store.move_credit(
            movements=[(account.id, kind, amount)], reference=note, now=self._clock.now()
        )
        return entries[0]

    async def transfer(self, parent: Account, child: Account, amount: int) -> list[LedgerEntry]:
        """Move credit from a parent to its sub-account (negative: back to the parent)."""
        check_topup(amount)
        if child.parent_id != parent.id:
            raise Forbidden("not a sub-account of this account")
        if not child.own_balance:
            raise InvalidRequest("this sub-account shares its parent's balance")
        payer = funding_account(await self._catalog.chain(parent.id))
        return await self._store.move_credit(
            movements=[
                (
                    payer.id,
                    EntryKind.TRANSFER_OUT if amount > 0 else EntryKind.TRANSFER_IN,
                    -amount,
                ),
                (child.id, EntryKind.TRANSFER_IN if amount > 0 else EntryKind.TRANSFER_OUT, amount),
            ],
            reference=f"transfer:{payer.name}->{child.name}",
            now=self._clock.now(),
        )

    async def balance(self, account: Account) -> tuple[int, str, Account]:
        """(balance, currency, the account that holds it) for `account`."""
        payer = funding_account(await self._store.chain(account.id))
        return payer.balance, payer.currency, payer

    async def ledger(
        self, account: Account, *, limit: int = 100, before_id: int | None = None
    ) -> list[LedgerEntry]:
        return await self._store.ledger(account.id, limit=limit, before_id=before_id)

    async def set_price(self, owner: Account | None, prefix: str, price: int) -> None:
        if price < 0:
            raise InvalidRequest("price cannot be negative", field="price")
        await self._store.set_price(owner.id if owner else None, check_prefix(prefix), price)
        self._catalog.forget()
        self._changes.announce(PRICES, owner.id if owner else "")

    async def import_prices(self, owner: Account | None, rows: Iterable[tuple[str, int]]) -> int:
        checked = []
        for prefix, price in rows:
            if price < 0:
                raise InvalidRequest(f"negative price for {prefix}", field="price")
            checked.append((check_prefix(prefix), price))
        await self._store.set_prices(owner.id if owner else None, checked)
        self._catalog.forget()
        self._changes.announce(PRICES, owner.id if owner else "")
        return len(checked)

    async def prices(self, owner: Account | None) -> dict[str, int]:
        lists = await self._store.price_lists([owner.id if owner else None])
        return dict(lists[0].prices) if lists else {}


def check_password(password: str) -> None:
    if not 6 <= len(password) <= 64:
        raise InvalidRequest("password must be 6-64 characters", field="password")
