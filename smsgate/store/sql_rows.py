"""Executemany of plain rows for the hot statements, through SQL compiled once.

SQLAlchemy's executemany turns every row dict into driver parameters through its
compiler, a few microseconds a row and statement; on SQLite that time is spent
holding the database's write lock. The statements every message pays for (its
insert, the charge, the send and receipt updates, the parts) instead hand the
driver tuples in the order of their SQL, compiled once per dialect.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.engine import Connection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

Prepared = tuple[str, tuple[str, ...], dict[str, Any]]  # SQL, parameter order, fixed values
_COMPILED: dict[tuple[str, Hashable], Prepared] = {}


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT every row (all rows have the same keys: column names) in one executemany."""
    if not rows:
        return
    columns = tuple(rows[0])

    def statement() -> ClauseElement:
        return table.insert().values({name: bindparam(name) for name in columns})

    _execute(conn, (table.name, columns), statement, rows)


def execute_rows(
    conn: Connection, statement: ClauseElement, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Run a module-level statement with bind parameters once per row, in one executemany."""
    if rows:
        _execute(conn, id(statement), lambda: statement, rows)


def _execute(
    conn: Connection,
    key: Hashable,
    statement: Callable[[], ClauseElement],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    compiled = _COMPILED.get((conn.dialect.name, key))
    if compiled is None:
        compiled = _COMPILED[(conn.dialect.name, key)] = _compile(conn, statement())
    sql, order, fixed = compiled
    if fixed:
        params = [tuple(fixed[n] if n in fixed else row[n] for n in order) for row in rows]
    else:
        params = [tuple(row[n] for n in order) for row in rows]
    conn.exec_driver_sql(sql, params)


def _compile(conn: Connection, statement: ClauseElement) -> Prepared:
    done = statement.compile(dialect=conn.dialect)
    if not isinstance(done, SQLCompiler) or done.positiontup is None:
        raise RuntimeError(f"{conn.dialect.name} has no positional parameters")
    # Values written into the statement (a status to match, a NULL to set) are bound
    # parameters too: they keep the value they were given, the same for every row.
    fixed = {
        name: param.value
        for name, param in done.binds.items()
        if name in done.positiontup and not param.required
    }
    return str(done), tuple(done.positiontup), fixed
