"""`smsgate admin ...`: the operator console's admin users and its audit log."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import click

from smsgate.app import Gateway
from smsgate.cli.shared import emit, emit_rows, json_option, with_gateway
from smsgate.services.admins import Admin, AuditEntry


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def admin_json(admin: Admin) -> dict[str, Any]:
    return {"id": admin.id, "name": admin.name, "created_at": _when(admin.created_at)}


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "time_utc": _when(entry.created_at),
        "admin": entry.admin,
        "action": entry.action,
        "target": entry.target,
        "detail": entry.detail,
    }


def audit_line(entry: AuditEntry) -> str:
    detail = f"  {entry.detail}" if entry.detail else ""
    return f"{_when(entry.created_at)}  {entry.admin:<12} {entry.action:<20} {entry.target}{detail}"


@click.group()
def admin() -> None:
    """Admin users of the operator console (/admin) and its audit log."""


@admin.command("create")
@click.argument("name")
@click.option("--password", help="At least 12 characters; one is generated when not given.")
@json_option
@click.pass_context
def create(ctx: click.Context, name: str, password: str | None, as_json: bool) -> None:
    """Create an admin who can log in to the operator console at /admin."""
    secret = password or secrets.token_urlsafe(12)

    async def go(gw: Gateway) -> Admin:
        return await gw.admins.create(name, secret)

    created = with_gateway(ctx, go)
    shown = "" if password else f"\npassword (shown once): {secret}"
    emit(
        as_json,
        {**admin_json(created), **({} if password else {"password": secret})},
        f"admin {created.name} created; log in at /admin/login{shown}",
    )


@admin.command("list")
@json_option
@click.pass_context
def list_admins(ctx: click.Context, as_json: bool) -> None:
    """List the admins."""

    async def go(gw: Gateway) -> list[Admin]:
        return await gw.admins.all_admins()

    rows = with_gateway(ctx, go)
    emit_rows(
        as_json,
        "admins",
        rows,
        admin_json,
        lambda a: f"{a.id:>4}  {a.name:<16} since {_when(a.created_at)}",
        "no admins: create one with `smsgate admin create NAME`",
    )


@admin.command("password")
@click.argument("name")
@click.argument("password", required=False)
@click.pass_context
def password(ctx: click.Context, name: str, password: str | None) -> None:
    """Set an admin's password (asked for when not given)."""
    secret = password or click.prompt("password", hide_input=True, confirmation_prompt=True)

    async def go(gw: Gateway) -> None:
        await gw.admins.set_password(name, secret)

    with_gateway(ctx, go)
    click.echo(f"password of admin {name} changed")


@admin.command("audit")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@json_option
@click.pass_context
def audit(ctx: click.Context, limit: int, as_json: bool) -> None:
    """Show the newest entries of the audit log."""

    async def go(gw: Gateway) -> list[AuditEntry]:
        return await gw.admins.audit(limit=limit)

    rows = with_gateway(ctx, go)
    emit_rows(as_json, "audit", rows, audit_json, audit_line, "the audit log is empty")
