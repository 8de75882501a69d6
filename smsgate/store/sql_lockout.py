"""The `login_failures` table in SQL; `SqlLockout` is SqlStore's part for it
(LoginFailureStore). A failure is one upsert per subject, so processes counting the
same subject at once never lose a count.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from smsgate.services.lockout import NAME
from smsgate.store.schema_platform import login_failures as lf
from smsgate.store.sql_base import SqlPart


def add_login_failures(
    conn: Connection, subjects: Sequence[str], now: float, window: float
) -> dict[str, int]:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stale = lf.c.window_start <= now - window
    counts: dict[str, int] = {}
    for subject in subjects:
        values = {"subject": subject, "failures": 1, "window_start": now, "blocked_until": 0.0}
        statement = (
            insert(lf)
            .values(values)
            .on_conflict_do_update(
                index_elements=[lf.c.subject],
                set_={
                    "failures": case((stale, 1), else_=lf.c.failures + 1),
                    "window_start": case((stale, now), else_=lf.c.window_start),
                },
            )
            .returning(lf.c.failures)
        )
        counts[subject] = int(conn.execute(statement).scalar_one())
    return counts


def block_logins(conn: Connection, subjects: Sequence[str], until: float) -> None:
    conn.execute(
        update(lf)
        .where(lf.c.subject.in_(list(subjects)))
        .values(blocked_until=until, failures=0, window_start=until)
    )


def login_watch(conn: Connection, now: float, window: float) -> dict[str, float]:
    counting = and_(
        lf.c.subject.startswith(NAME, autoescape=True),
        lf.c.failures > 0,
        lf.c.window_start > now - window,
    )
    query = select(lf.c.subject, lf.c.blocked_until).where(or_(lf.c.blocked_until > now, counting))
    return {
        str(subject): float(until) if until > now else 0.0 for subject, until in conn.execute(query)
    }


def clear_login_failures(conn: Connection, subject: str, now: float) -> None:
    conn.execute(delete(lf).where(lf.c.subject == subject, lf.c.blocked_until <= now))


def prune_login_failures(conn: Connection, before: float, now: float) -> int:
    result = conn.execute(delete(lf).where(lf.c.window_start < before, lf.c.blocked_until <= now))
    return int(result.rowcount)


class SqlLockout(SqlPart):
    async def add_login_failures(
        self, subjects: Sequence[str], now: float, window: float
    ) -> dict[str, int]:
        return await self.connections.write(add_login_failures, subjects, now, window)

    async def block_logins(self, subjects: Sequence[str], until: float) -> None:
        await self.connections.write(block_logins, subjects, until)

    async def login_watch(self, now: float, window: float) -> dict[str, float]:
        return await self.connections.read(login_watch, now, window)

    async def clear_login_failures(self, subject: str, now: float) -> None:
        await self.connections.write(clear_login_failures, subject, now)

    async def prune_login_failures(self, before: float, now: float) -> int:
        return await self.connections.write(prune_login_failures, before, now)
