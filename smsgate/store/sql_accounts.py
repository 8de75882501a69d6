"""Accounts, their access policy, API keys and price lists in SQL: the rarely written,
often read tables; `SqlAccounts` is SqlStore's part for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy import ColumnElement, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from smsgate.core.accounts import Account, AccountStatus
from smsgate.core.errors import Conflict
from smsgate.core.pricing import PriceList
from smsgate.services.account_policy import AccountPolicy, parse_allowed_ips
from smsgate.services.ports import AccountSearch, AccountToCreate
from smsgate.store.records import account_from_row, opt_float, opt_str
from smsgate.store.rules import prefix_matches
from smsgate.store.schema import DEFAULT_PRICE_OWNER, accounts, api_keys, prices
from smsgate.store.sql_base import SqlPart

# A tree deeper than this is a cycle, not a reseller hierarchy.
MAX_DEPTH = 64


def create_account(conn: Connection, new: AccountToCreate) -> Account:
    values = {**asdict(new), "balance": 0, "status": AccountStatus.ACTIVE.value}
    try:
        result = conn.execute(insert(accounts).values(values).returning(*accounts.c))
    except IntegrityError as exc:
        raise Conflict(f"an account named {new.name!r} exists", field="name") from exc
    return account_from_row(result.one()._mapping)


def account_where(conn: Connection, /, **equal: object) -> Account | None:
    query = select(accounts)
    for column, value in equal.items():
        query = query.where(accounts.c[column] == value)
    row = (conn.execute(query)).first()
    return None if row is None else account_from_row(row._mapping)


def all_accounts(conn: Connection, parent_id: int | None) -> list[Account]:
    query = select(accounts).order_by(accounts.c.id)
    if parent_id is not None:
        query = query.where(accounts.c.parent_id == parent_id)
    return [account_from_row(row._mapping) for row in conn.execute(query)]


def _by_name(conn: Connection, name: ColumnElement[str]) -> ColumnElement[str]:
    """`name` compared and sorted byte by byte, as on every backend (and in memory)."""
    return name.collate("C" if conn.dialect.name == "postgresql" else "BINARY")


def find_accounts(conn: Connection, search: AccountSearch) -> list[Account]:
    name = _by_name(conn, accounts.c.name)
    query = select(accounts).order_by(name).limit(search.limit)
    if search.text:
        query = query.where(accounts.c.name.icontains(search.text, autoescape=True))
    if search.parent_id is not None:
        query = query.where(accounts.c.parent_id == search.parent_id)
    if search.top_level:
        query = query.where(accounts.c.parent_id.is_(None))
    if search.after:
        query = query.where(name > search.after)
    return [account_from_row(row._mapping) for row in conn.execute(query)]


def sub_accounts(conn: Connection, parent_ids: Sequence[int], limit_each: int) -> list[Account]:
    if not parent_ids:
        return []
    rank = func.row_number().over(
        partition_by=accounts.c.parent_id, order_by=_by_name(conn, accounts.c.name)
    )
    ranked = (
        select(accounts, rank.label("rank")).where(accounts.c.parent_id.in_(parent_ids)).subquery()
    )
    query = (
        select(*(ranked.c[column.name] for column in accounts.c))
        .where(ranked.c.rank <= limit_each)
        .order_by(ranked.c.parent_id, ranked.c.rank)
    )
    return [account_from_row(row._mapping) for row in conn.execute(query)]


def chain(conn: Connection, account_id: int) -> list[Account]:
    start = select(accounts, literal(0).label("depth")).where(accounts.c.id == account_id)
    up = start.cte("chain", recursive=True)
    parent = accounts.alias("parent")
    up = up.union_all(
        select(parent, (up.c.depth + 1).label("depth")).where(
            parent.c.id == up.c.parent_id, up.c.depth < MAX_DEPTH
        )
    )
    result = conn.execute(select(up).order_by(up.c.depth))
    return [account_from_row(row._mapping) for row in result]


def set_account(conn: Connection, /, account_id: int, **values: object) -> None:
    conn.execute(update(accounts).where(accounts.c.id == account_id).values(**values))


def account_policy(conn: Connection, account_id: int) -> AccountPolicy:
    row = conn.execute(
        select(accounts.c.smpp_max_binds, accounts.c.allowed_ips, accounts.c.throughput).where(
            accounts.c.id == account_id
        )
    ).first()
    if row is None:
        return AccountPolicy()
    return AccountPolicy(
        allowed_ips=parse_allowed_ips(row.allowed_ips),
        send_rate=None if row.throughput is None else float(row.throughput),
        max_binds=int(row.smpp_max_binds),
    )


def set_account_policy(conn: Connection, account_id: int, policy: AccountPolicy) -> None:
    allowed = None if policy.allowed_ips is None else ",".join(policy.allowed_ips)
    set_account(
        conn,
        account_id,
        smpp_max_binds=policy.max_binds,
        allowed_ips=allowed,
        throughput=policy.send_rate,
    )


def password_hash(conn: Connection, account_id: int) -> str | None:
    query = select(accounts.c.password_hash).where(accounts.c.id == account_id)
    return opt_str((conn.execute(query)).scalar())


def add_api_key(conn: Connection, account_id: int, key_hash: str, prefix: str, now: float) -> int:
    values = {"account_id": account_id, "key_hash": key_hash, "prefix": prefix, "created_at": now}
    try:
        result = conn.execute(insert(api_keys).values(values).returning(api_keys.c.id))
    except IntegrityError as exc:
        raise Conflict("this API key exists already") from exc
    return int(result.scalar_one())


def revoke_api_key(conn: Connection, account_id: int, prefix: str, now: float) -> bool:
    result = conn.execute(
        select(api_keys.c.id, api_keys.c.prefix).where(
            api_keys.c.account_id == account_id, api_keys.c.revoked_at.is_(None)
        )
    )
    ids = [int(row.id) for row in result if prefix_matches(str(row.prefix), prefix)]
    if ids:
        conn.execute(update(api_keys).where(api_keys.c.id.in_(ids)).values(revoked_at=now))
    return bool(ids)


def account_by_key_hash(conn: Connection, key_hash: str) -> Account | None:
    query = (
        select(accounts)
        .join(api_keys, api_keys.c.account_id == accounts.c.id)
        .where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None))
    )
    row = (conn.execute(query)).first()
    return None if row is None else account_from_row(row._mapping)


def list_api_keys(conn: Connection, account_id: int) -> list[tuple[str, float, float | None]]:
    query = (
        select(api_keys.c.prefix, api_keys.c.created_at, api_keys.c.revoked_at)
        .where(api_keys.c.account_id == account_id)
        .order_by(api_keys.c.id)
    )
    return [
        (str(row.prefix), float(row.created_at), opt_float(row.revoked_at))
        for row in conn.execute(query)
    ]


def _owner(owner_id: int | None) -> int:
    return DEFAULT_PRICE_OWNER if owner_id is None else owner_id


def set_prices(conn: Connection, owner_id: int | None, rows: Sequence[tuple[str, int]]) -> None:
    """Insert or replace these prices of one owner; other prefixes keep theirs."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(prices)
    stmt = stmt.on_conflict_do_update(
        index_elements=[prices.c.owner_id, prices.c.prefix],
        set_={"price": stmt.excluded.price},
    )
    owner = _owner(owner_id)
    # The last price given for a prefix wins, as it would with one call per row.
    latest = dict(rows)
    conn.execute(
        stmt, [{"owner_id": owner, "prefix": p, "price": price} for p, price in latest.items()]
    )


def price_lists(conn: Connection, owner_ids: Sequence[int | None]) -> list[PriceList]:
    owners = {_owner(owner_id) for owner_id in owner_ids}
    result = conn.execute(
        select(prices.c.owner_id, prices.c.prefix, prices.c.price).where(
            prices.c.owner_id.in_(owners)
        )
    )
    by_owner: dict[int, dict[str, int]] = {owner: {} for owner in owners}
    for row in result:
        by_owner[int(row.owner_id)][str(row.prefix)] = int(row.price)
    return [PriceList.of(owner_id, by_owner[_owner(owner_id)]) for owner_id in owner_ids]


class SqlAccounts(SqlPart):
    async def create_account(self, new: AccountToCreate) -> Account:
        return await self.connections.write(create_account, new)

    async def account(self, account_id: int) -> Account | None:
        return await self.connections.read(account_where, id=account_id)

    async def account_by_name(self, name: str) -> Account | None:
        return await self.connections.read(account_where, name=name)

    async def accounts(self, parent_id: int | None = None) -> list[Account]:
        return await self.connections.read(all_accounts, parent_id)

    async def chain(self, account_id: int) -> list[Account]:
        return await self.connections.read(chain, account_id)

    async def find_accounts(self, search: AccountSearch) -> list[Account]:
        return await self.connections.read(find_accounts, search)

    async def sub_accounts(self, parent_ids: Sequence[int], limit_each: int) -> list[Account]:
        return await self.connections.read(sub_accounts, parent_ids, limit_each)

    async def set_status(self, account_id: int, status: str) -> None:
        await self.connections.write(set_account, account_id, status=status)

    async def set_password_hash(self, account_id: int, password_hash: str) -> None:
        await self.connections.write(set_account, account_id, password_hash=password_hash)

    async def password_hash(self, account_id: int) -> str | None:
        return await self.connections.read(password_hash, account_id)

    async def account_policy(self, account_id: int) -> AccountPolicy:
        return await self.connections.read(account_policy, account_id)

    async def set_account_policy(self, account_id: int, policy: AccountPolicy) -> None:
        await self.connections.write(set_account_policy, account_id, policy)

    async def add_api_key(self, account_id: int, key_hash: str, prefix: str, now: float) -> int:
        return await self.connections.write(add_api_key, account_id, key_hash, prefix, now)

    async def revoke_api_key(self, account_id: int, prefix: str, now: float) -> bool:
        return await self.connections.write(revoke_api_key, account_id, prefix, now)

    async def account_by_key_hash(self, key_hash: str) -> Account | None:
        return await self.connections.read(account_by_key_hash, key_hash)

    async def api_keys(self, account_id: int) -> list[tuple[str, float, float | None]]:
        return await self.connections.read(list_api_keys, account_id)

    async def set_price(self, owner_id: int | None, prefix: str, price: int) -> None:
        await self.set_prices(owner_id, [(prefix, price)])

    async def set_prices(self, owner_id: int | None, prices: Sequence[tuple[str, int]]) -> None:
        await self.connections.write(set_prices, owner_id, prices)

    async def price_lists(self, owner_ids: Sequence[int | None]) -> list[PriceList]:
        return await self.connections.read(price_lists, owner_ids)
