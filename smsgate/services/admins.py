"""The operator's admin users and their audit log: admins are created from the command
line, log in to the console with a password (scrypt, and the same failed-login lockout as
customers, counted under their own names), and every change they make is written to the
audit log (who, what, on what, when)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from smsgate.core.accounts import check_account_name
from smsgate.core.errors import InvalidRequest, NotFound, Unauthenticated
from smsgate.core.storable import storable
from smsgate.services.credentials import DUMMY_HASH, Authenticator
from smsgate.services.lockout import ADMIN, Lockout
from smsgate.services.ports import Clock

MIN_PASSWORD = 12
MAX_DETAIL = 500
AUDIT_PAGE = 50


@dataclass(frozen=True, slots=True)
class Admin:
    id: int
    name: str
    created_at: float


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change made in the console: `admin` (by name, kept when the admin is gone),
    `action` (e.g. `account.topup`), `target` (what it was done to) and `detail`."""

    id: int
    admin: str
    action: str
    target: str
    detail: str
    created_at: float


@runtime_checkable
class AdminStore(Protocol):
    async def add_admin(self, name: str, password_hash: str, now: float) -> Admin:
        """Store a new admin; Conflict when the name is taken."""
        ...

    async def admin_by_name(self, name: str) -> tuple[Admin, str] | None:
        """The admin and its password hash."""
        ...

    async def admin_by_id(self, admin_id: int) -> Admin | None: ...

    async def admins(self) -> list[Admin]:
        """Every admin, oldest first."""
        ...

    async def set_admin_password(self, admin_id: int, password_hash: str) -> bool:
        """False when there is no such admin."""
        ...

    async def add_audit(
        self, admin: str, action: str, target: str, detail: str, now: float
    ) -> AuditEntry: ...

    async def audit_page(self, before_id: int | None, limit: int) -> list[AuditEntry]:
        """Up to `limit` entries older than `before_id` (all when None), newest first."""
        ...


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidRequest(
            f"an admin password has at least {MIN_PASSWORD} characters", field="password"
        )


@dataclass(eq=False, slots=True)
class AdminService:
    store: AdminStore
    clock: Clock
    auth: Authenticator
    lockout: Lockout | None = None

    async def create(self, name: str, password: str) -> Admin:
        name = check_account_name(name.strip())
        check_password(password)
        password_hash = await self.auth.hash_password(password)
        return await self.store.add_admin(name, password_hash, self.clock.now())

    async def set_password(self, name: str, password: str) -> Admin:
        admin = await self.get(name)
        check_password(password)
        await self.store.set_admin_password(admin.id, await self.auth.hash_password(password))
        return admin

    async def get(self, name: str) -> Admin:
        found = await self.store.admin_by_name(name) if storable(name) else None
        if found is None:
            raise NotFound(f"no admin named {name!r}")
        return found[0]

    async def get_by_id(self, admin_id: int) -> Admin:
        admin = await self.store.admin_by_id(admin_id)
        if admin is None:
            raise NotFound(f"no admin with id {admin_id}")
        return admin

    async def all_admins(self) -> list[Admin]:
        return await self.store.admins()

    async def log_in(self, name: str, password: str, address: str | None) -> Admin:
        """The admin whose password this is; Unauthenticated for an unknown name or a
        wrong password alike (one scrypt either way), LoginBlocked while blocked."""
        if self.lockout is not None:
            await self.lockout.check(address, name, namespace=ADMIN)
        found = await self.store.admin_by_name(name) if storable(name) else None
        matches = await self.auth.check_password(password, found[1] if found else DUMMY_HASH)
        if found is None or not matches:
            if self.lockout is not None:
                await self.lockout.failed(address, name, namespace=ADMIN)
            raise Unauthenticated("invalid admin name or password")
        if self.lockout is not None:
            await self.lockout.succeeded(name, namespace=ADMIN)
        return found[0]

    async def record(self, admin: Admin, action: str, target: str, detail: str = "") -> AuditEntry:
        """Write one line of the audit log."""
        return await self.store.add_audit(
            admin.name, action, target, detail[:MAX_DETAIL], self.clock.now()
        )

    async def audit(
        self, *, before_id: int | None = None, limit: int = AUDIT_PAGE
    ) -> list[AuditEntry]:
        return await self.store.audit_page(before_id, limit)
