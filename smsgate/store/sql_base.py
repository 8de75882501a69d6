"""What every part of `SqlStore` runs on: the `Connections` of a backend (SQLite or
PostgreSQL), the `CompiledSql` each of its connections carries for the statements
sql_rows compiles once, and `SqlPart`, the base of each sql_<feature>.py class part,
whose methods hand that module's Core functions to `connections`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.engine import Connection

P = ParamSpec("P")
T = TypeVar("T")


class Connections(Protocol):
    """Where the SQL functions run: SqliteConnections or PostgresConnections.

    `write` runs one function in one transaction (COMMIT when it returns, ROLLBACK
    when it raises); `read` runs one on a connection without writing. Either may run
    the function again after a failure that committed nothing (SQLite: the database
    was locked; PostgreSQL: the connection was lost before COMMIT).
    """

    dialect: str

    async def start(self) -> None: ...

    async def write(
        self, fn: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T: ...

    async def read(
        self, fn: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T: ...

    async def notify(self, channel: str, payload: str = "") -> None:
        """Tell every process listening on `channel` (PostgreSQL NOTIFY; on SQLite a
        `signals` row)."""
        ...

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        """Call `callback(payload)` whenever `channel` is notified, from now until close:
        on PostgreSQL reconnecting when the connection is lost (then `callback("")`), on
        SQLite polling the `signals` table."""
        ...

    async def close(self) -> None: ...


# The key of a connection's `CompiledSql` in its `info`, set when the backend connects.
COMPILED_SQL = "smsgate.compiled_sql"


class CompiledSql(Protocol):
    """How a backend runs a statement compiled once (sql_rows) with positional
    parameters, inside the transaction or on the connection SQLAlchemy holds."""

    def execute_many(
        self, conn: Connection, sql: str, params: Sequence[tuple[Any, ...]]
    ) -> None: ...

    def fetch(self, conn: Connection, sql: str, params: tuple[Any, ...]) -> list[Any]: ...


def compiled_sql(conn: Connection) -> CompiledSql:
    """The `CompiledSql` of the backend `conn` belongs to."""
    runner: CompiledSql = conn.info[COMPILED_SQL]
    return runner


class SqlPart:
    """The base of SqlStore's parts: they share one `connections`."""

    def __init__(self, connections: Connections) -> None:
        self.connections = connections
