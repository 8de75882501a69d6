"""`SqlStore`: the `services.ports.Store` on SQLite or PostgreSQL, through SQLAlchemy Core.

The SQL lives in sql_*.py as synchronous Core functions of a Connection; this module
only sends each port method to one of them, as a read or as one write transaction
(SQLite runs it in its writer thread, PostgreSQL through run_sync). `accept` goes
through the group commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from smsgate.core.accounts import Account
from smsgate.core.errors import Conflict, SmsgateError
from smsgate.core.ledger import EntryKind, LedgerEntry
from smsgate.core.messages import Message, Part, Status
from smsgate.core.pricing import PriceList
from smsgate.services.account_policy import AccountPolicy
from smsgate.services.ports import (
    Accepted,
    AppliedReceipts,
    Notification,
    NotificationAttempt,
    ReceiptUpdate,
    SendOutcome,
    Submission,
)
from smsgate.services.senders import SenderId
from smsgate.services.smpp_customers import SmppOutboxItem
from smsgate.services.statistics import StatsRow
from smsgate.store import (
    sql_accept,
    sql_accounts,
    sql_dispatch,
    sql_messages,
    sql_money,
    sql_outbox,
    sql_receipts,
    sql_senders,
    sql_smpp,
    sql_statistics,
)
from smsgate.store.groupcommit import GroupCommit
from smsgate.store.sql_lockout import SqlLockout
from smsgate.store.sql_routing import SqlRouting
from smsgate.store.sql_stoplist import SqlStopList

P = ParamSpec("P")
T = TypeVar("T")


class Connections(Protocol):
    """Where the SQL functions run: SqliteConnections or PostgresConnections.

    `write` runs one function in one transaction (COMMIT when it returns, ROLLBACK
    when it raises); `read` runs one on a connection without writing.
    """

    dialect: str

    async def start(self) -> None: ...

    async def write(
        self, fn: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T: ...

    async def read(
        self, fn: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T: ...

    async def close(self) -> None: ...


class SqlStore(SqlRouting, SqlStopList, SqlLockout):
    def __init__(
        self, connections: Connections, *, max_group: int = 512, max_rows: int = 10_000
    ) -> None:
        self.connections = connections
        # Rows bound the group too: one submission may carry a thousand recipients.
        self.group_commit: GroupCommit[Submission, Accepted] = GroupCommit(
            self._accept_group,
            max_group=max_group,
            max_weight=max_rows,
            weight=lambda submission: len(submission.messages),
            isolate=_may_be_one_submissions,
        )

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
        return await self.connections.write(
            sql_accounts.create_account,
            name=name,
            parent_id=parent_id,
            own_balance=own_balance,
            currency=currency,
            default_country=default_country,
            max_parts=max_parts,
            password_hash=password_hash,
            now=now,
        )

    async def account(self, account_id: int) -> Account | None:
        return await self.connections.read(sql_accounts.account_where, id=account_id)

    async def account_by_name(self, name: str) -> Account | None:
        return await self.connections.read(sql_accounts.account_where, name=name)

    async def accounts(self, parent_id: int | None = None) -> list[Account]:
        return await self.connections.read(sql_accounts.all_accounts, parent_id)

    async def chain(self, account_id: int) -> list[Account]:
        return await self.connections.read(sql_accounts.chain, account_id)

    async def set_status(self, account_id: int, status: str) -> None:
        await self.connections.write(sql_accounts.set_account, account_id, status=status)

    async def set_password_hash(self, account_id: int, password_hash: str) -> None:
        await self.connections.write(
            sql_accounts.set_account, account_id, password_hash=password_hash
        )

    async def password_hash(self, account_id: int) -> str | None:
        return await self.connections.read(sql_accounts.password_hash, account_id)

    async def account_policy(self, account_id: int) -> AccountPolicy:
        return await self.connections.read(sql_accounts.account_policy, account_id)

    async def set_account_policy(self, account_id: int, policy: AccountPolicy) -> None:
        await self.connections.write(sql_accounts.set_account_policy, account_id, policy)

    async def add_api_key(self, account_id: int, key_hash: str, prefix: str, now: float) -> int:
        return await self.connections.write(
            sql_accounts.add_api_key, account_id, key_hash, prefix, now
        )

    async def revoke_api_key(self, account_id: int, prefix: str, now: float) -> bool:
        return await self.connections.write(sql_accounts.revoke_api_key, account_id, prefix, now)

    async def account_by_key_hash(self, key_hash: str) -> Account | None:
        return await self.connections.read(sql_accounts.account_by_key_hash, key_hash)

    async def api_keys(self, account_id: int) -> list[tuple[str, float, float | None]]:
        return await self.connections.read(sql_accounts.list_api_keys, account_id)

    async def set_price(self, owner_id: int | None, prefix: str, price: int) -> None:
        await self.set_prices(owner_id, [(prefix, price)])

    async def set_prices(self, owner_id: int | None, prices: Sequence[tuple[str, int]]) -> None:
        await self.connections.write(sql_accounts.set_prices, owner_id, prices)

    async def price_lists(self, owner_ids: Sequence[int | None]) -> list[PriceList]:
        return await self.connections.read(sql_accounts.price_lists, owner_ids)

    # money

    async def move_credit(
        self,
        *,
        movements: Sequence[tuple[int, EntryKind, int]],
        reference: str,
        now: float,
    ) -> list[LedgerEntry]:
        return await self.connections.write(sql_money.move_credit, movements, reference, now)

    async def ledger(
        self, account_id: int, *, limit: int, before_id: int | None
    ) -> list[LedgerEntry]:
        return await self.connections.read(sql_money.ledger_page, account_id, limit, before_id)

    # messages

    async def accept(self, submission: Submission) -> Accepted:
        return await self.group_commit.submit(submission)

    async def _accept_group(self, group: Sequence[Submission]) -> list[Accepted | SmsgateError]:
        # The rows are built before the write lock is taken, not inside the transaction.
        prepared = [sql_accept.prepare(s) for s in group]
        return await self.connections.write(sql_accept.accept_group, prepared)

    async def message(self, message_id: str) -> Message | None:
        return await self.connections.read(sql_messages.message, message_id)

    async def parts(self, message_id: str) -> list[Part]:
        return await self.connections.read(sql_messages.message_parts, message_id)

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
        return await self.connections.read(
            sql_messages.message_page,
            account_id,
            status=status,
            batch_id=batch_id,
            since=since,
            limit=limit,
            before_id=before_id,
        )

    async def cancel(self, message_id: str, now: float) -> Message:
        return await self.connections.write(sql_messages.cancel, message_id, now)

    # dispatch and delivery

    async def claim(
        self, now: float, limit: int, hold: Callable[[Message], str | None] | None = None
    ) -> list[Message]:
        if hold is not None:
            return await self.connections.write(sql_dispatch.claim_holding, now, limit, hold)
        rows = await self.connections.write(sql_dispatch.claim, now, limit)
        return sql_dispatch.claimed_messages(rows)

    async def release_held(self, limit: int, upstream: str | None = None) -> int:
        return await self.connections.write(sql_dispatch.release_held, limit, upstream)

    async def held_messages(self) -> dict[str, int]:
        return await self.connections.read(sql_dispatch.held_messages)

    async def record_sends(self, outcomes: Sequence[SendOutcome], now: float) -> None:
        if not outcomes:
            return
        await self.connections.write(sql_dispatch.record_sends, outcomes, now)

    async def apply_receipts(self, receipts: Sequence[ReceiptUpdate]) -> AppliedReceipts:
        if not receipts:
            return AppliedReceipts({}, [])
        return await self.connections.write(sql_receipts.apply_receipts, receipts)

    async def open_parts(self, connector: str) -> list[tuple[str, str]]:
        return await self.connections.read(sql_receipts.open_parts, connector)

    async def expire(self, now: float, limit: int) -> int:
        return await self.connections.write(sql_dispatch.expire, now, limit)

    async def recover_sending(self, older_than: float) -> int:
        return await self.connections.write(sql_dispatch.recover_sending, older_than)

    async def due_notifications(self, now: float, limit: int) -> list[Notification]:
        return await self.connections.read(sql_outbox.due_notifications, now, limit)

    async def record_notifications(
        self, attempts: Sequence[NotificationAttempt], now: float
    ) -> None:
        if attempts:
            await self.connections.write(sql_outbox.record_notifications, attempts, now)

    # sender ids

    async def add_sender(self, account_id: int, sender: str, status: str, now: float) -> SenderId:
        try:
            return await self.connections.write(
                sql_senders.add_sender, account_id, sender, status, now
            )
        except IntegrityError as exc:
            raise Conflict(f"sender id {sender!r} exists already", field="sender") from exc

    async def senders(self, account_id: int) -> list[SenderId]:
        return await self.connections.read(sql_senders.account_senders, account_id)

    async def delete_senders(self, account_id: int, ids: Sequence[int]) -> int:
        return await self.connections.write(sql_senders.delete_senders, account_id, ids)

    # statistics

    async def messages_with_reference(self, account_id: int, reference: str) -> list[Message]:
        return await self.connections.read(
            sql_statistics.messages_with_reference, account_id, reference
        )

    async def message_totals(
        self, account_ids: Sequence[int], *, since: float, until: float, utc_offset: int
    ) -> list[StatsRow]:
        return await self.connections.read(
            sql_statistics.message_totals, account_ids, since, until, utc_offset
        )

    async def queue_depth(self) -> int:
        return await self.connections.read(sql_dispatch.queue_depth)

    # SMPP customers

    async def smpp_waiting_accounts(self) -> list[int]:
        return await self.connections.read(sql_smpp.waiting_accounts)

    async def smpp_pending(self, account_id: int, limit: int) -> list[SmppOutboxItem]:
        return await self.connections.read(sql_smpp.pending, account_id, limit)

    async def smpp_handed_over(
        self, delivered: Sequence[int], attempted: Sequence[int], now: float
    ) -> None:
        await self.connections.write(sql_smpp.handed_over, delivered, attempted, now)

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
        return await self.connections.write(
            sql_smpp.add_smpp_inbound,
            account_id=account_id,
            connector=connector,
            source=source,
            destination=destination,
            text=text,
            encoding=encoding,
            parts=parts,
            now=now,
        )

    async def close(self) -> None:
        await self.group_commit.close()
        await self.connections.close()


def _may_be_one_submissions(exc: Exception) -> bool:
    """Whether an accept that raised `exc` may have failed for one submission's rows (a
    constraint, a value the driver or the database refuses, a reference another process
    stored first), so its group is split to find it. A database that is locked, full,
    unreachable or whose connection broke fails the whole group: each half would too."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return False
    return not isinstance(
        exc, OperationalError | InterfaceError | sqlite3.OperationalError | OSError
    )
