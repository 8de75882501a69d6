"""`smsgate account ...` and `smsgate key ...`: accounts, sub-accounts, credit, keys, and
each account's access policy (allowed addresses, send rate, SMPP binds)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click

from smsgate.app import Gateway
from smsgate.cli.shared import (
    command_on,
    emit,
    emit_rows,
    json_option,
    parse_money,
    with_gateway,
)
from smsgate.core.accounts import Account, AccountStatus
from smsgate.core.money import format_amount
from smsgate.services.account_policy import AccountPolicy


def account_json(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name,
        "parent_id": account.parent_id,
        "shared_balance": not account.own_balance,
        "balance": format_amount(account.balance) if account.own_balance else None,
        "currency": account.currency,
        "status": account.status.value,
        "default_country": account.default_country,
        "max_parts": account.max_parts,
    }


def account_line(account: Account) -> str:
    balance = (
        f"{format_amount(account.balance)} {account.currency}"
        if account.own_balance
        else "(shares parent's balance)"
    )
    parent = f" parent={account.parent_id}" if account.parent_id else ""
    return f"{account.id:>5}  {account.name:<16} {account.status.value:<9} {balance}{parent}"


def policy_json(policy: AccountPolicy) -> dict[str, Any]:
    return {
        "allowed_ips": None if policy.allowed_ips is None else list(policy.allowed_ips),
        "send_rate": policy.send_rate,
        "max_binds": policy.max_binds,
    }


def policy_line(policy: AccountPolicy) -> str:
    addresses = "any" if policy.allowed_ips is None else " ".join(policy.allowed_ips)
    rate = "no own limit" if policy.send_rate is None else f"{policy.send_rate:g} msg/s"
    return f"       allowed IPs: {addresses}; send rate: {rate}; SMPP binds: {policy.max_binds}"


def _emit_with_policy(as_json: bool, account: Account, policy: AccountPolicy) -> None:
    emit(
        as_json,
        {**account_json(account), **policy_json(policy)},
        f"{account_line(account)}\n{policy_line(policy)}",
    )


@click.group()
def account() -> None:
    """Create and manage accounts and sub-accounts."""


@account.command("create")
@click.argument("name")
@click.option("--credit", default="0", help="Initial credit, e.g. 10.00.")
@click.option("--parent", help="Make it a sub-account of this account.")
@click.option("--shared-balance", is_flag=True, help="Spend the parent's balance.")
@click.option("--password", help="Password for HTTP Basic, SMPP binds and the dialects.")
@click.option("--currency", help="Currency (default EUR, or the parent's).")
@click.option("--country", "default_country", help="Country of national numbers, e.g. IT.")
@click.option("--max-parts", type=int, help="Most parts one message may have (default 10).")
@json_option
@click.pass_context
def create_account(
    ctx: click.Context,
    name: str,
    credit: str,
    parent: str | None,
    shared_balance: bool,
    password: str | None,
    currency: str | None,
    default_country: str | None,
    max_parts: int | None,
    as_json: bool,
) -> None:
    """Create an account and print its first API key (shown once)."""
    amount = parse_money(credit)

    async def work(gw: Gateway) -> tuple[Account, str]:
        parent_account = await gw.accounts.get(parent) if parent else None
        created = await gw.accounts.create(
            name,
            parent=parent_account,
            credit=amount,
            own_balance=not shared_balance,
            password=password,
            currency=currency,
            default_country=default_country,
            max_parts=max_parts,
        )
        return created.account, created.api_key

    created, api_key = with_gateway(ctx, work)
    emit(
        as_json,
        {**account_json(created), "api_key": api_key},
        f"created account {created.name} (id {created.id})\nAPI key (shown once): {api_key}",
    )


@account.command("list")
@json_option
@click.pass_context
def list_accounts(ctx: click.Context, as_json: bool) -> None:
    """List every account."""
    accounts = with_gateway(ctx, lambda gw: gw.accounts.list_accounts())
    emit_rows(as_json, "accounts", accounts, account_json, account_line, "no accounts")


@command_on(account, "show")
def show_account(ctx: click.Context, name: str, as_json: bool) -> None:
    """Show one account and its access policy."""

    async def work(gw: Gateway) -> tuple[Account, AccountPolicy]:
        found = await gw.accounts.get(name)
        return found, await gw.policies.read(found.id)

    _emit_with_policy(as_json, *with_gateway(ctx, work))


def _set_policy(ctx: click.Context, name: str, as_json: bool, **changes: Any) -> None:
    """Change some settings of the account's policy, keep the others, print all."""

    async def work(gw: Gateway) -> tuple[Account, AccountPolicy]:
        found = await gw.accounts.get(name)
        current = await gw.policies.read(found.id)
        return found, await gw.policies.set(found.id, replace(current, **changes))

    _emit_with_policy(as_json, *with_gateway(ctx, work))


@account.command("allow-ip")
@click.argument("name")
@click.argument("addresses", nargs=-1)
@click.option("--clear", is_flag=True, help="Remove the list: any address may connect.")
@json_option
@click.pass_context
def allow_ip(
    ctx: click.Context, name: str, addresses: tuple[str, ...], clear: bool, as_json: bool
) -> None:
    """Let the account connect only from ADDRESSES (IPv4 or IPv6 addresses, CIDR
    networks) on every API and SMPP; the list replaces the previous one."""
    if clear == bool(addresses):
        raise click.UsageError("give one or more ADDRESSES, or --clear")
    _set_policy(ctx, name, as_json, allowed_ips=None if clear else addresses)


@account.command("rate")
@click.argument("name")
@click.argument("rate", type=float, required=False)
@click.option("--none", "no_limit", is_flag=True, help="Remove the account's own limit.")
@json_option
@click.pass_context
def send_rate(
    ctx: click.Context, name: str, rate: float | None, no_limit: bool, as_json: bool
) -> None:
    """Most messages a second the account may send, over every API and SMPP together."""
    if no_limit == (rate is not None):
        raise click.UsageError("give RATE, or --none")
    _set_policy(ctx, name, as_json, send_rate=rate)


@account.command("binds")
@click.argument("name")
@click.argument("binds", type=int)
@json_option
@click.pass_context
def max_binds(ctx: click.Context, name: str, binds: int, as_json: bool) -> None:
    """Most concurrent SMPP binds of the account (0: no SMPP)."""
    _set_policy(ctx, name, as_json, max_binds=binds)


@account.command("topup")
@click.argument("name")
@click.argument("amount")
@json_option
@click.pass_context
def topup(ctx: click.Context, name: str, amount: str, as_json: bool) -> None:
    """Add credit (a negative AMOUNT removes it, as an adjustment)."""
    micros = parse_money(amount)

    async def work(gw: Gateway) -> Account:
        await gw.accounts.topup(await gw.accounts.get(name), micros)
        return await gw.accounts.get(name)

    updated = with_gateway(ctx, work)
    emit(as_json, account_json(updated), account_line(updated))


def _set_status(ctx: click.Context, name: str, status: AccountStatus, as_json: bool) -> None:
    async def work(gw: Gateway) -> Account:
        return await gw.accounts.set_status(await gw.accounts.get(name), status)

    updated = with_gateway(ctx, work)
    emit(as_json, account_json(updated), account_line(updated))


@command_on(account, "suspend")
def suspend(ctx: click.Context, name: str, as_json: bool) -> None:
    """Suspend an account: it and its sub-accounts can no longer send."""
    _set_status(ctx, name, AccountStatus.SUSPENDED, as_json)


@command_on(account, "resume")
def resume(ctx: click.Context, name: str, as_json: bool) -> None:
    """Lift a suspension."""
    _set_status(ctx, name, AccountStatus.ACTIVE, as_json)


@account.command("password")
@click.argument("name")
@click.argument("password", required=False)
@click.pass_context
def password(ctx: click.Context, name: str, password: str | None) -> None:
    """Set the account's password (asked for when not given)."""
    secret = password or click.prompt("password", hide_input=True, confirmation_prompt=True)

    async def work(gw: Gateway) -> None:
        await gw.accounts.set_password(await gw.accounts.get(name), secret)

    with_gateway(ctx, work)
    click.echo(f"password of {name} changed")


@click.group()
def key() -> None:
    """Create, list and revoke API keys."""


@command_on(key, "create")
def create_key(ctx: click.Context, name: str, as_json: bool) -> None:
    """Create another API key for an account (shown once)."""

    async def work(gw: Gateway) -> str:
        return await gw.accounts.create_key(await gw.accounts.get(name))

    api_key = with_gateway(ctx, work)
    emit(as_json, {"account": name, "api_key": api_key}, api_key)


@command_on(key, "list")
def list_keys(ctx: click.Context, name: str, as_json: bool) -> None:
    """List an account's keys by their prefix."""

    async def work(gw: Gateway) -> list[tuple[str, float, float | None]]:
        return await gw.accounts.keys(await gw.accounts.get(name))

    keys = with_gateway(ctx, work)
    rows = [{"prefix": p, "created_at": c, "revoked": r is not None} for p, c, r in keys]
    emit(
        as_json,
        {"keys": rows},
        "\n".join(f"{r['prefix']}…  {'revoked' if r['revoked'] else 'active'}" for r in rows),
    )


@key.command("revoke")
@click.argument("name")
@click.argument("prefix")
@click.pass_context
def revoke_key(ctx: click.Context, name: str, prefix: str) -> None:
    """Revoke the account's key that starts with PREFIX."""

    async def work(gw: Gateway) -> None:
        await gw.accounts.revoke_key(await gw.accounts.get(name), prefix)

    with_gateway(ctx, work)
    click.echo(f"revoked {prefix}…")
