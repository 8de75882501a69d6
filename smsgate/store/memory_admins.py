"""Admins and the audit log of `MemoryStore`: the same rows as sql_admins, in dicts."""

from __future__ import annotations

from smsgate.core.errors import Conflict
from smsgate.services.admins import Admin, AuditEntry
from smsgate.store.memory_tables import MemoryTables


class MemoryAdmins(MemoryTables):
    async def add_admin(self, name: str, password_hash: str, now: float) -> Admin:
        if any(admin.name == name for admin, _ in self._admins.values()):
            raise Conflict(f"admin {name!r} exists already", field="name")
        admin = Admin(next(self._admin_ids), name, now)
        self._admins[admin.id] = (admin, password_hash)
        return admin

    async def admin_by_name(self, name: str) -> tuple[Admin, str] | None:
        return next((row for row in self._admins.values() if row[0].name == name), None)

    async def admin_by_id(self, admin_id: int) -> Admin | None:
        row = self._admins.get(admin_id)
        return None if row is None else row[0]

    async def admins(self) -> list[Admin]:
        return [admin for admin, _ in self._admins.values()]

    async def set_admin_password(self, admin_id: int, password_hash: str) -> bool:
        row = self._admins.get(admin_id)
        if row is None:
            return False
        self._admins[admin_id] = (row[0], password_hash)
        return True

    async def add_audit(
        self, admin: str, action: str, target: str, detail: str, now: float
    ) -> AuditEntry:
        entry = AuditEntry(len(self._audit) + 1, admin, action, target, detail, now)
        self._audit.append(entry)
        return entry

    async def audit_page(self, before_id: int | None, limit: int) -> list[AuditEntry]:
        older = [e for e in reversed(self._audit) if before_id is None or e.id < before_id]
        return older[:limit]
