"""`smsgate price ...`: price lists per prefix, for the system default or one account."""

from __future__ import annotations

from typing import IO

import click

from smsgate.app import Gateway
from smsgate.cli.shared import emit, json_option, with_gateway
from smsgate.core.errors import SmsgateError
from smsgate.core.money import format_amount, parse_amount
from smsgate.core.pricing import read_price_file


@click.group()
def price() -> None:
    """Set and list prices per destination prefix ('*' is the default)."""


@price.command("set")
@click.argument("prefix")
@click.argument("amount")
@click.option("--account", "account_name", help="Price list of this account (default: system).")
@click.pass_context
def set_price(ctx: click.Context, prefix: str, amount: str, account_name: str | None) -> None:
    """Set the price per part for numbers starting with PREFIX."""
    try:
        micros = parse_amount(amount)
    except SmsgateError as exc:
        raise click.BadParameter(exc.message) from exc

    async def work(gw: Gateway) -> None:
        owner = await gw.accounts.get(account_name) if account_name else None
        await gw.accounts.set_price(owner, prefix, micros)

    with_gateway(ctx, work)
    click.echo(f"{prefix} = {format_amount(micros)} per part ({account_name or 'system'})")


@price.command("list")
@click.option("--account", "account_name", help="Price list of this account (default: system).")
@json_option
@click.pass_context
def list_prices(ctx: click.Context, account_name: str | None, as_json: bool) -> None:
    """List a price list."""

    async def work(gw: Gateway) -> dict[str, int]:
        owner = await gw.accounts.get(account_name) if account_name else None
        return await gw.accounts.prices(owner)

    prices = with_gateway(ctx, work)
    rows = sorted(prices.items())
    emit(
        as_json,
        {"account": account_name, "prices": {p: format_amount(v) for p, v in rows}},
        "\n".join(f"{p:<16} {format_amount(v)}" for p, v in rows) or "no prices",
    )


@price.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--account", "account_name", help="Price list of this account (default: system).")
@click.pass_context
def import_prices(ctx: click.Context, file: IO[str], account_name: str | None) -> None:
    """Import a CSV of `prefix,price` rows (a header row is allowed)."""
    rows = read_price_csv(file)

    async def work(gw: Gateway) -> int:
        owner = await gw.accounts.get(account_name) if account_name else None
        return await gw.accounts.import_prices(owner, rows)

    count = with_gateway(ctx, work)
    click.echo(f"imported {count} prices ({account_name or 'system'})")


def read_price_csv(file: IO[str]) -> list[tuple[str, int]]:
    """The file's rows as `core.pricing.read_price_file` reads them; a bad row is a usage
    error naming it."""
    try:
        return read_price_file(file.read())
    except SmsgateError as exc:
        raise click.BadParameter(exc.message) from exc
