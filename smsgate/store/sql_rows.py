"""The hot statements (what every message pays for), compiled once per dialect and run
with tuples of parameters in the order of their SQL through the connection's
`CompiledSql` (sqlite.py, postgres.py); why: docs/architecture.md, "Where the time goes".
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Table, Update, bindparam, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from smsgate.store.sql_base import compiled_sql

Compiled = tuple[str, tuple[str, ...], dict[str, Any]]  # SQL, parameter order, fixed values
_COMPILED: dict[tuple[str, Hashable], Compiled] = {}


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT every row (all rows have the same keys: column names) in one executemany."""
    if not rows:
        return
    columns = tuple(rows[0])
    _execute(conn, (table.name, columns), _insert(table, columns), rows)


def insert_values(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """INSERT rows given as tuples in `columns` order (the table's own column order,
    some columns left out) in one executemany, handed to the driver as they are."""
    if not rows:
        return
    columns = tuple(columns)
    sql, order, _ = _compiled_once(conn, (table.name, columns), _insert(table, columns))
    if order != columns:
        raise RuntimeError(f"{table.name}: columns must be in the table's order: {order}")
    compiled_sql(conn).execute_many(conn, sql, rows)


def _insert(table: Table, columns: tuple[str, ...]) -> Callable[[], ClauseElement]:
    return lambda: table.insert().values({name: bindparam(name) for name in columns})


def update_by_id(table: Table, key: str, **values: Any) -> Update:
    """An UPDATE of the row whose `id` is the bound parameter `key`, for `execute_rows`;
    `values` may bind parameters of their own."""
    return update(table).where(table.c.id == bindparam(key)).values(**values)


def execute_rows(
    conn: Connection, statement: ClauseElement, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Run a module-level statement with bind parameters once per row, in one executemany."""
    if rows:
        _execute(conn, id(statement), lambda: statement, rows)


def fetch_rows(conn: Connection, statement: ClauseElement, **values: Any) -> list[Any]:
    """The rows (tuples, in column order) of a module-level statement run with the named
    values, compiled once per dialect."""
    sql, order, fixed = _compiled_once(conn, id(statement), lambda: statement)
    named = {**fixed, **values}
    return compiled_sql(conn).fetch(conn, sql, tuple(named[name] for name in order))


def _execute(
    conn: Connection,
    key: Hashable,
    statement: Callable[[], ClauseElement],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    sql, order, fixed = _compiled_once(conn, key, statement)
    if fixed:
        params = [tuple(fixed[n] if n in fixed else row[n] for n in order) for row in rows]
    else:
        params = [tuple(row[n] for n in order) for row in rows]
    compiled_sql(conn).execute_many(conn, sql, params)


def plan_afresh(conn: Connection) -> None:
    """The transaction's statements from here on are planned for their parameters and the
    tables' size now.

    After five runs of a prepared statement PostgreSQL may keep one generic plan for
    the connection's life, made for the table sizes of that moment (docs/architecture.md
    has what that cost the claim). Planning costs a fraction of a millisecond, so it is
    asked for before single statements like the claim; `plan_as_usual` ends it before an
    executemany, where each row would be planned. SQLite plans every statement when it
    is prepared. Each is one round trip on PostgreSQL, so it is asked for only there.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


def plan_as_usual(conn: Connection) -> None:
    """Prepared statements may keep a generic plan again, after `plan_afresh`."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = auto")


class ListQuery:
    """A statement with one IN list of any length, compiled once per dialect and list size.

    Lists are padded (with their last item) to a power of two, so a handful of sizes
    cover every call; longer lists are read in chunks of MAX_LIST, in order.
    """

    MAX_LIST = 512

    def __init__(self, build: Callable[[list[BindParameter[Any]]], ClauseElement]) -> None:
        """`build` makes the statement around the IN list's parameters it is given."""
        self._build = build

    def rows(self, conn: Connection, items: Sequence[Any], **values: Any) -> list[Any]:
        """The statement's rows (tuples, in column order) for `items` and the named values."""
        found: list[Any] = []
        for start in range(0, len(items), self.MAX_LIST):
            found.extend(self._chunk(conn, items[start : start + self.MAX_LIST], values))
        return found

    def _chunk(self, conn: Connection, items: Sequence[Any], values: dict[str, Any]) -> list[Any]:
        size = 1 << (len(items) - 1).bit_length()

        def statement() -> ClauseElement:
            listed: list[BindParameter[Any]] = [bindparam(f"item_{i}") for i in range(size)]
            return self._build(listed)

        # ListQuerys are module-level, so their id is a key for as long as the process.
        sql, order, fixed = _compiled_once(conn, (id(self), size), statement)
        named = {**fixed, **values}
        named.update((f"item_{i}", item) for i, item in enumerate(items))
        named.update((f"item_{i}", items[-1]) for i in range(len(items), size))
        return compiled_sql(conn).fetch(conn, sql, tuple(named[name] for name in order))


def _compiled_once(
    conn: Connection, key: Hashable, statement: Callable[[], ClauseElement]
) -> Compiled:
    compiled = _COMPILED.get((conn.dialect.name, key))
    if compiled is None:
        compiled = _COMPILED[(conn.dialect.name, key)] = _compile(conn, statement())
    return compiled


def _compile(conn: Connection, statement: ClauseElement) -> Compiled:
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


@dataclass(frozen=True, slots=True)
class Rows:
    """Rows to INSERT into `table`, as tuples in `columns` order (the table's own order)."""

    table: Table
    columns: tuple[str, ...]
    rows: Sequence[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Settings:
    """(id, value) pairs: the new `column` of the rows of `table` with those ids."""

    table: Table
    column: str
    rows: Sequence[tuple[Any, Any]]


def write_together(conn: Connection, inserts: Sequence[Rows], settings: Settings) -> None:
    """INSERT every `Rows` (in order) and UPDATE `settings`. On PostgreSQL that is one
    statement, each write a data-modifying CTE over its columns' arrays: one round trip,
    where each executemany is one (docs/architecture.md); elsewhere one executemany each."""
    inserts = [i for i in inserts if i.rows]
    if conn.dialect.name != "postgresql":
        for i in inserts:
            insert_values(conn, i.table, i.columns, i.rows)
        if settings.rows:
            key = ("set", settings.table.name, settings.column)
            rows = [{"s_id": at, "s_value": value} for at, value in settings.rows]
            _execute(conn, key, lambda: _setting(settings), rows)
        return
    if not inserts and not settings.rows:
        return
    shape = (
        tuple((i.table.name, i.columns) for i in inserts),
        (settings.table.name, settings.column) if settings.rows else None,
    )
    sql = _TOGETHER.get(shape)
    if sql is None:
        sql = _TOGETHER[shape] = _together(conn, inserts, settings)
    params: list[list[Any]] = []
    for i in inserts:
        params.extend(list(column) for column in zip(*i.rows, strict=True))
    if settings.rows:
        params.extend(list(column) for column in zip(*settings.rows, strict=True))
    conn.exec_driver_sql(sql, tuple(params))


_TOGETHER: dict[Hashable, str] = {}


def _setting(settings: Settings) -> ClauseElement:
    return update_by_id(settings.table, "s_id", **{settings.column: bindparam("s_value")})


def _together(conn: Connection, inserts: Sequence[Rows], settings: Settings) -> str:
    quote = conn.dialect.identifier_preparer.quote
    numbers = iter(range(1, 10_000))

    def arrays(table: Table, columns: Sequence[str]) -> str:
        typed = (f"${next(numbers)}::{table.c[c].type.compile(conn.dialect)}[]" for c in columns)
        return f"unnest({', '.join(typed)})"

    writes = [
        f"INSERT INTO {quote(i.table.name)} ({', '.join(quote(c) for c in i.columns)}) "
        f"SELECT * FROM {arrays(i.table, i.columns)}"
        for i in inserts
    ]
    if settings.rows:
        t, c = quote(settings.table.name), quote(settings.column)
        writes.append(
            f"UPDATE {t} SET {c} = v.value FROM {arrays(settings.table, ('id', settings.column))}"
            f" AS v(id, value) WHERE {t}.id = v.id"
        )
    *first, last = writes
    if not first:
        return last
    ctes = ", ".join(f"w{n} AS ({write})" for n, write in enumerate(first))
    return f"WITH {ctes} {last}"
