"""What every part of `SqlStore` runs on: the `Connections` of a backend (SQLite or
PostgreSQL) and `SqlPart`, the base of each sql_<feature>.py class part, whose methods
hand that module's Core functions to `connections` as a read or one write transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.engine import Connection

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


class SqlPart:
    """The base of SqlStore's parts: they share one `connections`."""

    def __init__(self, connections: Connections) -> None:
        self.connections = connections
