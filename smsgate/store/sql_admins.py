"""Admins of the operator console and their audit log in SQL (`admins`, `audit_log`);
`SqlAdmins` is SqlStore's part for them."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from smsgate.core.errors import Conflict
from smsgate.services.admins import Admin, AuditEntry
from smsgate.store.records import record_from_row
from smsgate.store.schema_platform import admins, audit_log
from smsgate.store.sql_base import SqlPart

_ADMIN = (admins.c.id, admins.c.name, admins.c.created_at)


def add_admin(conn: Connection, name: str, password_hash: str, now: float) -> Admin:
    if conn.execute(select(admins.c.id).where(admins.c.name == name)).first() is not None:
        raise _exists(name)
    values = {"name": name, "password_hash": password_hash, "created_at": now}
    row = conn.execute(insert(admins).values(values).returning(*_ADMIN)).one()
    return record_from_row(Admin, row._mapping)


def _exists(name: str) -> Conflict:
    return Conflict(f"admin {name!r} exists already", field="name")


def admin_by_name(conn: Connection, name: str) -> tuple[Admin, str] | None:
    row = conn.execute(select(*_ADMIN, admins.c.password_hash).where(admins.c.name == name)).first()
    if row is None:
        return None
    return record_from_row(Admin, row._mapping), row.password_hash


def admin_by_id(conn: Connection, admin_id: int) -> Admin | None:
    row = conn.execute(select(*_ADMIN).where(admins.c.id == admin_id)).first()
    return None if row is None else record_from_row(Admin, row._mapping)


def all_admins(conn: Connection) -> list[Admin]:
    rows = conn.execute(select(*_ADMIN).order_by(admins.c.id))
    return [record_from_row(Admin, row._mapping) for row in rows]


def set_admin_password(conn: Connection, admin_id: int, password_hash: str) -> bool:
    result = conn.execute(
        update(admins).where(admins.c.id == admin_id).values(password_hash=password_hash)
    )
    return bool(result.rowcount)


def add_audit(
    conn: Connection, admin: str, action: str, target: str, detail: str, now: float
) -> AuditEntry:
    values = {
        "admin": admin,
        "action": action,
        "target": target,
        "detail": detail,
        "created_at": now,
    }
    row = conn.execute(insert(audit_log).values(values).returning(*audit_log.c)).one()
    return record_from_row(AuditEntry, row._mapping)


def audit_page(conn: Connection, before_id: int | None, limit: int) -> list[AuditEntry]:
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    return [record_from_row(AuditEntry, row._mapping) for row in conn.execute(query)]


class SqlAdmins(SqlPart):
    async def add_admin(self, name: str, password_hash: str, now: float) -> Admin:
        try:
            return await self.connections.write(add_admin, name, password_hash, now)
        except IntegrityError as exc:
            raise _exists(name) from exc

    async def admin_by_name(self, name: str) -> tuple[Admin, str] | None:
        return await self.connections.read(admin_by_name, name)

    async def admin_by_id(self, admin_id: int) -> Admin | None:
        return await self.connections.read(admin_by_id, admin_id)

    async def admins(self) -> list[Admin]:
        return await self.connections.read(all_admins)

    async def set_admin_password(self, admin_id: int, password_hash: str) -> bool:
        return await self.connections.write(set_admin_password, admin_id, password_hash)

    async def add_audit(
        self, admin: str, action: str, target: str, detail: str, now: float
    ) -> AuditEntry:
        return await self.connections.write(add_audit, admin, action, target, detail, now)

    async def audit_page(self, before_id: int | None, limit: int) -> list[AuditEntry]:
        return await self.connections.read(audit_page, before_id, limit)
