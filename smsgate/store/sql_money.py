"""Money in SQL: `Purse`, the balances one transaction moves, read once under row locks
(in id order) and saved with their ledger rows; every write path that touches a balance
goes through it. `SqlMoney` is SqlStore's part for credit moves and the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from smsgate.core.errors import InsufficientCredit, NotFound
from smsgate.core.ledger import EntryKind, LedgerEntry
from smsgate.store.records import ledger_from_row
from smsgate.store.schema import accounts, ledger
from smsgate.store.sql_base import SqlPart
from smsgate.store.sql_rows import (
    ListQuery,
    Rows,
    Settings,
    write_together,
)

LEDGER_COLUMNS = ("account_id", "kind", "amount", "balance_after", "reference", "created_at")
_BALANCES = ListQuery(
    lambda ids: (
        select(accounts.c.id, accounts.c.balance)
        .where(accounts.c.id.in_(ids))
        .order_by(accounts.c.id)
        # NO KEY UPDATE: other transactions may still insert rows that reference
        # these accounts (their foreign-key checks take KEY SHARE) meanwhile.
        .with_for_update(key_share=True)
    )
)


class Purse:
    """The balances one transaction may move, and the ledger rows it has moved them with."""

    def __init__(self, balances: dict[int, int]) -> None:
        self.balances = balances
        self._entries: list[dict[str, Any]] = []
        self._touched: set[int] = set()

    @classmethod
    def open(cls, conn: Connection, account_ids: Iterable[int]) -> Purse:
        """Read (and on PostgreSQL lock) the balances of these accounts."""
        rows = _BALANCES.rows(conn, sorted(set(account_ids)))
        return cls({int(account_id): int(balance) for account_id, balance in rows})

    def move(
        self,
        account_id: int,
        kind: EntryKind,
        amount: int,
        reference: str,
        now: float,
        *,
        overdraw: bool = False,
    ) -> None:
        """Add `amount` (negative: take it) with a ledger entry; never below zero unless
        `overdraw` (what a message already sent costs beyond its charge)."""
        if account_id not in self.balances:
            raise NotFound(f"no account {account_id}")
        balance = self.balances[account_id] + amount
        if balance < 0 and not overdraw:
            raise InsufficientCredit("insufficient credit for this request")
        self.balances[account_id] = balance
        self._touched.add(account_id)
        self._entries.append(
            {
                "account_id": account_id,
                "kind": kind.value,
                "amount": amount,
                "balance_after": balance,
                "reference": reference,
                "created_at": now,
            }
        )

    def save(self, conn: Connection, *inserts: Rows) -> None:
        """Write `inserts`, then the ledger rows and the new balances (on PostgreSQL in
        one statement)."""
        entries = [tuple(e[c] for c in LEDGER_COLUMNS) for e in self._entries]
        write_together(conn, [*inserts, Rows(ledger, LEDGER_COLUMNS, entries)], self._balances())

    def save_returning(self, conn: Connection) -> list[LedgerEntry]:
        """Like `save`, and return the ledger entries with their ids, in order of the moves."""
        entries: list[LedgerEntry] = []
        if self._entries:
            result = conn.execute(
                ledger.insert().returning(*ledger.c, sort_by_parameter_order=True),
                self._entries,
            )
            entries = [ledger_from_row(row._mapping) for row in result]
        write_together(conn, [], self._balances())
        return entries

    def _balances(self) -> Settings:
        """The new balances of the accounts this purse moved."""
        return Settings(accounts, "balance", [(i, self.balances[i]) for i in sorted(self._touched)])


def move_credit(
    conn: Connection,
    movements: Sequence[tuple[int, EntryKind, int]],
    reference: str,
    now: float,
) -> list[LedgerEntry]:
    purse = Purse.open(conn, (account_id for account_id, _, _ in movements))
    for account_id, kind, amount in movements:
        purse.move(account_id, kind, amount, reference, now)
    return purse.save_returning(conn)


def ledger_page(
    conn: Connection, account_id: int, limit: int, before_id: int | None
) -> list[LedgerEntry]:
    query = select(ledger).where(ledger.c.account_id == account_id)
    if before_id is not None:
        query = query.where(ledger.c.id < before_id)
    result = conn.execute(query.order_by(ledger.c.id.desc()).limit(limit))
    return [ledger_from_row(row._mapping) for row in result]


class SqlMoney(SqlPart):
    async def move_credit(
        self,
        *,
        movements: Sequence[tuple[int, EntryKind, int]],
        reference: str,
        now: float,
    ) -> list[LedgerEntry]:
        return await self.connections.write(move_credit, movements, reference, now)

    async def ledger(
        self, account_id: int, *, limit: int, before_id: int | None
    ) -> list[LedgerEntry]:
        return await self.connections.read(ledger_page, account_id, limit, before_id)
