"""Executemany of plain rows for the hot inserts, through a statement compiled once.

SQLAlchemy's executemany turns every row dict into driver parameters through its
compiler, a few microseconds a row and statement; the inserts every accepted message
pays for (messages, batches, ledger) instead hand the driver tuples in the order of
an INSERT compiled once per dialect and set of columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.engine import Connection

_COMPILED: dict[tuple[str, str, tuple[str, ...]], tuple[str, tuple[str, ...]]] = {}


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT every row (all rows have the same keys: column names) in one executemany."""
    if not rows:
        return
    columns = tuple(rows[0])
    key = (conn.dialect.name, table.name, columns)
    compiled = _COMPILED.get(key)
    if compiled is None:
        statement = table.insert().values({name: bindparam(name) for name in columns})
        done = statement.compile(dialect=conn.dialect)
        if done.positiontup is None:
            raise RuntimeError(f"{conn.dialect.name} has no positional parameters")
        compiled = _COMPILED[key] = (str(done), tuple(done.positiontup))
    sql, order = compiled
    conn.exec_driver_sql(sql, [tuple(row[name] for name in order) for row in rows])
