"""`sql_rows.write_together` on both SQL backends: the rows and the new values are
written, and on PostgreSQL in one statement (one round trip) however many tables."""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.engine import Connection

from smsgate.store.schema import accounts, batches, ledger
from smsgate.store.sql import SqlStore
from smsgate.store.sql_accept import BATCH_COLUMNS
from smsgate.store.sql_money import LEDGER_COLUMNS
from smsgate.store.sql_rows import Rows, Settings, write_together
from tests.integration.backends import Database
from tests.integration.store.scenario import NOW, funded


async def test_rows_and_values_are_written_in_one_statement_on_postgres(
    sql_database: Database,
) -> None:
    store = await sql_database.open()
    assert isinstance(store, SqlStore)
    alice, bob = await funded(store, "alice"), await funded(store, "bob")

    def write(conn: Connection) -> int:
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(conn, "before_cursor_execute", listener)
        try:
            write_together(
                conn,
                [
                    Rows(
                        batches,
                        BATCH_COLUMNS,
                        [("b1", alice.id, None, NOW), ("b2", bob.id, "r", NOW)],
                    ),
                    Rows(ledger, LEDGER_COLUMNS, [(alice.id, "topup", 70, 70, "t", NOW)]),
                    Rows(ledger, LEDGER_COLUMNS, []),  # nothing to write: left out
                ],
                Settings(accounts, "balance", [(alice.id, 70)]),
            )
        finally:
            event.remove(conn, "before_cursor_execute", listener)
        return len(statements)

    statements = await store.connections.write(write)
    if sql_database.backend == "postgres":
        assert statements == 1

    def read(conn: Connection) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        found = conn.execute(
            select(batches.c.id, batches.c.account_id, batches.c.reference).order_by(batches.c.id)
        )
        balances = conn.execute(select(accounts.c.name, accounts.c.balance).order_by("name"))
        return [tuple(r) for r in found], [tuple(r) for r in balances]

    assert await store.connections.read(read) == (
        [("b1", alice.id, None), ("b2", bob.id, "r")],
        [("alice", 70), ("bob", 0)],
    )
    assert (await store.ledger(alice.id, limit=5, before_id=None))[0].amount == 70
