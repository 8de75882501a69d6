"""The `stop_list` table in SQL; `SqlStopList` is SqlStore's part for it (StopListStore)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from smsgate.services.stoplist import StopEntry, StopPageQuery
from smsgate.store.records import record_from_row
from smsgate.store.schema_platform import stop_list
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


def add_stops(
    conn: Connection, account_id: int, numbers: Sequence[str], source: str, now: float
) -> int:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING, so that a number listed already (or
    listed meanwhile by another process) is skipped and not counted."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    added = 0
    for start in range(0, len(numbers), _CHUNK):
        rows = [
            {"account_id": account_id, "number": n, "source": source, "created_at": now}
            for n in numbers[start : start + _CHUNK]
        ]
        statement = (
            dialect.insert(stop_list)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["account_id", "number"])
            .returning(stop_list.c.number)
        )
        added += len(conn.execute(statement).all())
    return added


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


def stop_page(conn: Connection, account_id: int, query: StopPageQuery) -> list[StopEntry]:
    select_page = select(stop_list).where(stop_list.c.account_id == account_id)
    if query.source is not None:
        select_page = select_page.where(stop_list.c.source == query.source)
    if query.after is not None:
        at, number = query.after
        select_page = select_page.where(
            or_(
                stop_list.c.created_at < at,
                and_(stop_list.c.created_at == at, stop_list.c.number < number),
            )
        )
    select_page = select_page.order_by(
        stop_list.c.created_at.desc(), stop_list.c.number.desc()
    ).limit(query.limit)
    return [record_from_row(StopEntry, row._mapping) for row in conn.execute(select_page)]


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

    async def add_stops(
        self, account_id: int, numbers: Sequence[str], source: str, now: float
    ) -> int:
        if not numbers:
            return 0
        return await self.connections.write(add_stops, account_id, numbers, source, now)

    async def remove_stop(self, account_id: int, number: str) -> bool:
        return await self.connections.write(remove_stop, account_id, number)

    async def stop_entries(self, account_id: int) -> list[StopEntry]:
        return await self.connections.read(stop_entries, account_id)

    async def stop_page(self, account_id: int, query: StopPageQuery) -> list[StopEntry]:
        return await self.connections.read(stop_page, account_id, query)

    async def stopped_numbers(self, account_id: int, numbers: Iterable[str]) -> set[str]:
        wanted = sorted(set(numbers))
        if not wanted:
            return set()
        return await self.connections.read(stopped_numbers, account_id, wanted)
