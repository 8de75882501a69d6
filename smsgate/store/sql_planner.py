"""A young PostgreSQL database's planner statistics: `SqlPlanner`, SqlStore's part that
ANALYZEs the tables grown past what PostgreSQL last counted, until `messages` has been
counted with as many rows as the caller asks; until then generic plans made on nearly
empty tables read the whole table (docs/architecture.md). SQLite needs nothing."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from smsgate.store.sql_base import SqlPart

# The node's own tables in its schema (ANALYZE needs their owner), with the rows
# PostgreSQL last counted (reltuples; -1: never analyzed) and the live rows now.
_TABLES = text(
    """
    SELECT c.relname, c.reltuples, s.n_live_tup
    FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid
    WHERE s.schemaname = current_schema() AND pg_has_role(c.relowner, 'USAGE')
    """
)


def analyze_young_tables(conn: Connection, rows: int) -> bool:
    """ANALYZE each table with `rows` live rows that was last analyzed with fewer; True
    when `messages` has been analyzed with `rows` (or is not this node's to analyze)."""
    if conn.dialect.name != "postgresql":
        return True
    tables = {
        str(name): (float(counted), int(live)) for name, counted, live in conn.execute(_TABLES)
    }
    quote = conn.dialect.identifier_preparer.quote
    analyzed = set()
    for name, (counted, live) in sorted(tables.items()):
        if counted < rows <= live:
            conn.exec_driver_sql(f"ANALYZE {quote(name)}")
            analyzed.add(name)
    counted, _ = tables.get("messages", (rows, 0))
    return counted >= rows or "messages" in analyzed


class SqlPlanner(SqlPart):
    async def analyze_young_tables(self, rows: int) -> bool:
        return await self.connections.read(analyze_young_tables, rows)
