"""The `stop_list` table in SQL; `SqlStopList` is SqlStore's part for it (StopListStore)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from smsgate.services.stoplist import StopEntry
from smsgate.store.records import record_from_row
from smsgate.store.schema import stop_list
from smsgate.store.sql_base import SqlPart

_CHUNK = 500


def _find(conn: Connection, account_id: int, number: str) -> StopEntry | None:
    row = conn.execute(
        select(stop_list).where(stop_list.c.account_id == account_id, stop_list.c.number == number)
    ).first()
    return None if row is None else record_from_row(StopEntry, row._mapping)


def add_stop(conn: Connection, account_id: int, number: str, source: str, now: float) -> StopEntry:
    found = _find(conn, account_id, number)
    if found is not None:
        return found
    values = {"account_id": account_id, "number": number, "source": source, "created_at": now}
    try:
        # A savepoint, so that losing a race to another process keeps our transaction.
        with conn.begin_nested():
            conn.execute(insert(stop_list).values(values))
    except IntegrityError:
        found = _find(conn, account_id, number)
        assert found is not None
        return found
    return StopEntry(account_id, number, source, now)


def remove_stop(conn: Connection, account_id: int, number: str) -> bool:
    result = conn.execute(
        delete(stop_list).where(stop_list.c.account_id == account_id, stop_list.c.number == number)
    )
    return bool(result.rowcount)


def stop_entries(conn: Connection, account_id: int) -> list[StopEntry]:
    query = (
        select(stop_list)
        .where(stop_list.c.account_id == account_id)
        .order_by(stop_list.c.created_at, stop_list.c.number)
    )
    return [record_from_row(StopEntry, row._mapping) for row in conn.execute(query)]


def stopped_numbers(conn: Connection, account_id: int, numbers: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(numbers), _CHUNK):
        query = select(stop_list.c.number).where(
            stop_list.c.account_id == account_id,
            stop_list.c.number.in_(numbers[start : start + _CHUNK]),
        )
        found.update(str(row[0]) for row in conn.execute(query))
    return found


class SqlStopList(SqlPart):
    async def add_stop(self, account_id: int, number: str, source: str, now: float) -> StopEntry:
        return await self.connections.write(add_stop, account_id, number, source, now)

    async def remove_stop(self, account_id: int, number: str) -> bool:
        return await self.connections.write(remove_stop, account_id, number)

    async def stop_entries(self, account_id: int) -> list[StopEntry]:
        return await self.connections.read(stop_entries, account_id)

    async def stopped_numbers(self, account_id: int, numbers: Iterable[str]) -> set[str]:
        wanted = sorted(set(numbers))
        if not wanted:
            return set()
        return await self.connections.read(stopped_numbers, account_id, wanted)
