"""Admins and the audit log on every store backend, through AdminService."""

from __future__ import annotations

import pytest

from smsgate.core.errors import Conflict, InvalidRequest, LoginBlocked, NotFound, Unauthenticated
from smsgate.services.admins import AdminService
from smsgate.services.clock import SystemClock
from smsgate.services.credentials import Authenticator
from smsgate.services.lockout import Lockout, LockoutPolicy
from smsgate.services.ports import Store
from smsgate.store import MemoryStore, SqlStore

PASSWORD = "correct horse battery"


def service(store: Store, *, per_name: int = 5) -> AdminService:
    assert isinstance(store, MemoryStore | SqlStore)
    clock = SystemClock()
    policy = LockoutPolicy(per_address=100, per_name=per_name, window=60, block=60)
    lockout = Lockout(store, clock, policy)
    return AdminService(store, clock, Authenticator(store, clock), lockout)


async def test_create_log_in_and_change_password(store: Store) -> None:
    admins = service(store)
    root = await admins.create("root", PASSWORD)
    ops = await admins.create("ops", PASSWORD + "!")
    assert [a.name for a in await admins.all_admins()] == ["root", "ops"]
    assert (await admins.get("ops")).id == ops.id
    assert await admins.get_by_id(root.id) == root

    assert await admins.log_in("root", PASSWORD, "192.0.2.1") == root
    with pytest.raises(Unauthenticated):
        await admins.log_in("root", PASSWORD + "!", "192.0.2.1")
    with pytest.raises(Unauthenticated):
        await admins.log_in("nobody", PASSWORD, "192.0.2.1")

    await admins.set_password("root", "another long secret")
    with pytest.raises(Unauthenticated):
        await admins.log_in("root", PASSWORD, "192.0.2.1")
    assert await admins.log_in("root", "another long secret", "192.0.2.1") == root


async def test_refusals_change_nothing(store: Store) -> None:
    admins = service(store)
    await admins.create("root", PASSWORD)
    with pytest.raises(Conflict):
        await admins.create("root", PASSWORD)
    with pytest.raises(InvalidRequest) as short:
        await admins.create("ops", "short")
    assert short.value.field == "password"
    with pytest.raises(InvalidRequest):
        await admins.create("bad name\x00", PASSWORD)
    with pytest.raises(NotFound):
        await admins.set_password("nobody", PASSWORD)
    with pytest.raises(InvalidRequest):
        await admins.set_password("root", "short")
    assert [a.name for a in await admins.all_admins()] == ["root"]
    assert await admins.log_in("root", PASSWORD, None)


async def test_failed_logins_block_the_admin_name_not_the_account_name(store: Store) -> None:
    admins = service(store, per_name=3)
    await admins.create("root", PASSWORD)
    for n in range(3):
        with pytest.raises(Unauthenticated):
            await admins.log_in("root", "wrong password", f"198.51.100.{n}")
    with pytest.raises(LoginBlocked):
        await admins.log_in("root", PASSWORD, "198.51.100.9")
    # an account of the same name counts apart
    assert isinstance(store, MemoryStore | SqlStore)
    lockout = admins.lockout
    assert lockout is not None
    await lockout.check("198.51.100.9", "root")


async def test_audit_log_newest_first_in_pages(store: Store) -> None:
    admins = service(store)
    root = await admins.create("root", PASSWORD)
    for n in range(5):
        await admins.record(root, "account.topup", f"acct{n}", f"+{n}.00 EUR")
    page = await admins.audit(limit=3)
    assert [e.target for e in page] == ["acct4", "acct3", "acct2"]
    assert page[0].admin == "root" and page[0].action == "account.topup"
    rest = await admins.audit(before_id=page[-1].id, limit=3)
    assert [e.target for e in rest] == ["acct1", "acct0"]
    long = await admins.record(root, "price.import", "default", "x" * 2000)
    assert len(long.detail) == 500
