"""`smsgate number ...`, `smsgate keyword ...` and `smsgate inbound ...`: the numbers MO
arrive on, who owns them and what their MO cost, the keywords of shared numbers, the MO
received and accounts' inbound settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
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
from smsgate.core.money import format_amount
from smsgate.services.inbound import MAX_PAGE, StoredInbound
from smsgate.services.inbound_numbers import SHAPES, InboundKeyword, InboundNumber
from smsgate.services.inbound_plan import SMPP_LONG, InboundSettings

NumberRow = tuple[InboundNumber, dict[int, str]]
shape_option = click.option(
    "--webhook-shape", type=click.Choice(SHAPES), help="The shape MO are posted in."
)
price_option = click.option(
    "--price", "price_text", help="Charged per MO received on the number, e.g. 0.01."
)
KeywordRow = tuple[InboundKeyword, str, dict[int, str]]


async def _names(gw: Gateway, ids: set[int | None]) -> dict[int, str]:
    """Account names by id, for the ids given."""
    names: dict[int, str] = {}
    for account_id in ids - {None}:
        assert account_id is not None
        found = await gw.store.account(account_id)
        names[account_id] = found.name if found else str(account_id)
    return names


def number_json(row: NumberRow) -> dict[str, Any]:
    number, names = row
    return {
        "id": number.id,
        "number": number.number,
        "account": names.get(number.account_id) if number.account_id else None,
        "default_account": (
            names.get(number.default_account_id) if number.default_account_id else None
        ),
        "webhook_url": number.webhook_url,
        "webhook_shape": number.webhook_shape,
        "price": format_amount(number.price),
    }


def number_line(row: NumberRow) -> str:
    data = number_json(row)
    if data["account"]:
        owner = f"account={data['account']}"
    else:
        owner = f"shared default={data['default_account'] or '(unrouted)'}"
    hook = data["webhook_url"] or "(account's webhook)"
    shape = f" ({data['webhook_shape']})" if data["webhook_shape"] else ""
    return f"{data['number']:<16} {owner}  price={data['price']}  webhook={hook}{shape}"


async def _number_rows(gw: Gateway, numbers: list[InboundNumber]) -> list[NumberRow]:
    names = await _names(gw, {i for n in numbers for i in (n.account_id, n.default_account_id)})
    return [(n, names) for n in numbers]


def _emit_number(as_json: bool, row: NumberRow) -> None:
    emit(as_json, number_json(row), number_line(row))


@click.group()
def number() -> None:
    """The numbers MO arrive on: long numbers (E.164) and short codes (3-8 digits)."""


@number.command("add")
@click.argument("number")
@click.option("--account", "account_name", help="The account that owns every MO to it.")
@click.option("--default-account", "default_name", help="Shared: where MO matching no keyword go.")
@click.option("--webhook-url", help="Where this number's MO will be posted.")
@shape_option
@price_option
@json_option
@click.pass_context
def add_number(
    ctx: click.Context,
    number: str,
    account_name: str | None,
    default_name: str | None,
    webhook_url: str | None,
    webhook_shape: str | None,
    price_text: str | None,
    as_json: bool,
) -> None:
    """Add a number; without --account it is shared, routed by keyword."""
    price = parse_money(price_text) if price_text is not None else 0

    async def work(gw: Gateway) -> NumberRow:
        owner = await gw.accounts.get(account_name) if account_name else None
        default = await gw.accounts.get(default_name) if default_name else None
        added = await gw.numbers.add(
            number,
            account=owner,
            default_account=default,
            webhook_url=webhook_url,
            webhook_shape=webhook_shape,
            price=price,
        )
        return (await _number_rows(gw, [added]))[0]

    _emit_number(as_json, with_gateway(ctx, work))


@number.command("list")
@click.option("--account", "account_name", help="Only the numbers this account receives on.")
@json_option
@click.pass_context
def list_numbers(ctx: click.Context, account_name: str | None, as_json: bool) -> None:
    """List the numbers."""

    async def work(gw: Gateway) -> list[NumberRow]:
        account = await gw.accounts.get(account_name) if account_name else None
        return await _number_rows(gw, await gw.numbers.list(account))

    rows = with_gateway(ctx, work)
    emit_rows(as_json, "numbers", rows, number_json, number_line, "no numbers")


@number.command("assign")
@click.argument("number")
@click.argument("account_name", metavar="ACCOUNT")
@json_option
@click.pass_context
def assign(ctx: click.Context, number: str, account_name: str, as_json: bool) -> None:
    """Give every MO to NUMBER to ACCOUNT."""

    async def work(gw: Gateway) -> NumberRow:
        owner = await gw.accounts.get(account_name)
        return (await _number_rows(gw, [await gw.numbers.assign(number, owner)]))[0]

    _emit_number(as_json, with_gateway(ctx, work))


@command_on(number, "unassign", "number")
def unassign(ctx: click.Context, number: str, as_json: bool) -> None:
    """Make NUMBER shared again: routed by its keywords, else to its default account."""

    async def work(gw: Gateway) -> NumberRow:
        return (await _number_rows(gw, [await gw.numbers.assign(number, None)]))[0]

    _emit_number(as_json, with_gateway(ctx, work))


@number.command("default")
@click.argument("number")
@click.argument("account_name", metavar="[ACCOUNT]", required=False)
@json_option
@click.pass_context
def set_default(ctx: click.Context, number: str, account_name: str | None, as_json: bool) -> None:
    """Send the MO to shared NUMBER that match no keyword to ACCOUNT (none: unrouted)."""

    async def work(gw: Gateway) -> NumberRow:
        default = await gw.accounts.get(account_name) if account_name else None
        return (await _number_rows(gw, [await gw.numbers.set_default(number, default)]))[0]

    _emit_number(as_json, with_gateway(ctx, work))


@number.command("set")
@click.argument("number")
@click.option("--webhook-url", help="Post this number's MO here.")
@click.option("--no-webhook", is_flag=True, help="Post them to the account's inbound webhook.")
@shape_option
@price_option
@json_option
@click.pass_context
def set_number(
    ctx: click.Context,
    number: str,
    webhook_url: str | None,
    no_webhook: bool,
    webhook_shape: str | None,
    price_text: str | None,
    as_json: bool,
) -> None:
    """Change where NUMBER's MO are posted, in what shape, and what each costs; what is
    not given stays."""
    if webhook_url is not None and no_webhook:
        raise click.UsageError("--webhook-url and --no-webhook exclude each other")
    price = parse_money(price_text) if price_text is not None else None

    async def work(gw: Gateway) -> NumberRow:
        found = await gw.numbers.get(number)
        url = None if no_webhook else (webhook_url or found.webhook_url)
        changed = await gw.numbers.set_delivery(
            number,
            url,
            webhook_shape or found.webhook_shape,
            found.price if price is None else price,
        )
        return (await _number_rows(gw, [changed]))[0]

    _emit_number(as_json, with_gateway(ctx, work))


@command_on(number, "remove", "number")
def remove_number(ctx: click.Context, number: str, as_json: bool) -> None:
    """Remove a number and its keywords (the MO it received stay)."""

    async def work(gw: Gateway) -> InboundNumber:
        return await gw.numbers.remove(number)

    removed = with_gateway(ctx, work)
    emit(as_json, {"removed": removed.number}, f"removed {removed.number}")


def keyword_json(row: KeywordRow) -> dict[str, Any]:
    keyword, number, names = row
    return {
        "number": number,
        "keyword": keyword.keyword,
        "account": names.get(keyword.account_id, str(keyword.account_id)),
    }


def keyword_line(row: KeywordRow) -> str:
    data = keyword_json(row)
    return f"{data['number']:<16} {data['keyword']:<20} {data['account']}"


async def _keyword_rows(gw: Gateway, keywords: list[InboundKeyword]) -> list[KeywordRow]:
    numbers = {n.id: n.number for n in await gw.numbers.list()}
    names = await _names(gw, {k.account_id for k in keywords})
    return [(k, numbers.get(k.number_id, "?"), names) for k in keywords]


@click.group()
def keyword() -> None:
    """Keywords of shared numbers: an MO whose first word is one goes to its account."""


@keyword.command("add")
@click.argument("number")
@click.argument("word", metavar="KEYWORD")
@click.argument("account_name", metavar="ACCOUNT")
@json_option
@click.pass_context
def add_keyword(
    ctx: click.Context, number: str, word: str, account_name: str, as_json: bool
) -> None:
    """Route MO to NUMBER starting with KEYWORD (any case, accents ignored) to ACCOUNT."""

    async def work(gw: Gateway) -> KeywordRow:
        account = await gw.accounts.get(account_name)
        added = await gw.numbers.add_keyword(number, word, account)
        return (await _keyword_rows(gw, [added]))[0]

    row = with_gateway(ctx, work)
    emit(as_json, keyword_json(row), keyword_line(row))


@keyword.command("list")
@click.argument("number", required=False)
@json_option
@click.pass_context
def list_keywords(ctx: click.Context, number: str | None, as_json: bool) -> None:
    """List the keywords, of every number or of NUMBER."""

    async def work(gw: Gateway) -> list[KeywordRow]:
        return await _keyword_rows(gw, await gw.numbers.keywords(number))

    rows = with_gateway(ctx, work)
    emit_rows(as_json, "keywords", rows, keyword_json, keyword_line, "no keywords")


@keyword.command("remove")
@click.argument("number")
@click.argument("word", metavar="KEYWORD")
@json_option
@click.pass_context
def remove_keyword(ctx: click.Context, number: str, word: str, as_json: bool) -> None:
    """Remove a keyword of NUMBER."""

    async def work(gw: Gateway) -> None:
        await gw.numbers.remove_keyword(number, word)

    with_gateway(ctx, work)
    emit(as_json, {"number": number, "removed": word}, f"removed {word} from {number}")


InboundRow = tuple[StoredInbound, dict[int, str]]


def inbound_json(row: InboundRow) -> dict[str, Any]:
    mo, names = row
    return {
        "id": mo.id,
        "account": names.get(mo.account_id) if mo.account_id else None,
        "from": mo.source,
        "to": mo.destination,
        "text": mo.text,
        "encoding": mo.encoding,
        "parts": mo.parts,
        "keyword": mo.keyword,
        "connector": mo.connector,
        "received_at": datetime.fromtimestamp(mo.received_at, UTC).isoformat(),
    }


def inbound_line(row: InboundRow) -> str:
    data = inbound_json(row)
    account = data["account"] or "(unrouted)"
    route = f"{data['from']} -> {data['to']}"
    return f"{data['id']:>6}  {data['received_at'][:19]}  {route}  {account}: {data['text']}"


@click.group()
def inbound() -> None:
    """The MO received, newest first."""


@inbound.command("list")
@click.option("--unrouted", is_flag=True, help="Only the MO no account received.")
@click.option("--account", "account_name", help="Only the MO routed to this account.")
@click.option("--limit", type=click.IntRange(1, MAX_PAGE), default=50, show_default=True)
@json_option
@click.pass_context
def list_inbound(
    ctx: click.Context, unrouted: bool, account_name: str | None, limit: int, as_json: bool
) -> None:
    """List MO, newest first."""

    async def work(gw: Gateway) -> list[InboundRow]:
        account = await gw.accounts.get(account_name) if account_name else None
        rows, _ = await gw.inbound.page(account, unrouted=unrouted, limit=limit)
        names = await _names(gw, {mo.account_id for mo in rows})
        return [(mo, names) for mo in rows]

    rows = with_gateway(ctx, work)
    emit_rows(as_json, "inbound", rows, inbound_json, inbound_line, "no inbound messages")


def settings_json(settings: InboundSettings) -> dict[str, Any]:
    return {
        "webhook_url": settings.webhook_url,
        "webhook_shape": settings.webhook_shape,
        "smpp": settings.smpp,
        "smpp_long": settings.smpp_long,
        "opt_out": list(settings.opt_out),
        "stop_reply": settings.stop_reply,
        "start_reply": settings.start_reply,
    }


def settings_lines(settings: InboundSettings) -> str:
    data = settings_json(settings)
    data["opt_out"] = " ".join(data["opt_out"]) or None
    return "\n".join(f"{key:<14} {'-' if value is None else value}" for key, value in data.items())


@inbound.command("settings")
@click.argument("account_name", metavar="ACCOUNT")
@click.option("--webhook-url", help="Post the account's MO here (a number's own URL wins).")
@click.option("--no-webhook", is_flag=True, help="Post them nowhere (poll them instead).")
@shape_option
@click.option("--smpp/--no-smpp", default=None, help="Deliver MO to the account's SMPP binds.")
@click.option("--smpp-long", type=click.Choice(SMPP_LONG), help="A long MO over SMPP.")
@click.option("--opt-out", "opt_out", multiple=True, help="An opt-out word (repeat; '' clears).")
@click.option("--stop-reply", help="Sent to who opts out ('' sends none).")
@click.option("--start-reply", help="Sent to who opts in again ('' sends none).")
@json_option
@click.pass_context
def inbound_settings(
    ctx: click.Context,
    account_name: str,
    webhook_url: str | None,
    no_webhook: bool,
    webhook_shape: str | None,
    smpp: bool | None,
    smpp_long: str | None,
    opt_out: tuple[str, ...],
    stop_reply: str | None,
    start_reply: str | None,
    as_json: bool,
) -> None:
    """Print ACCOUNT's inbound settings, or change those given."""
    if webhook_url is not None and no_webhook:
        raise click.UsageError("--webhook-url and --no-webhook exclude each other")
    changes: dict[str, Any] = {"webhook_url": None} if no_webhook else {}
    given = {
        "webhook_url": webhook_url,
        "webhook_shape": webhook_shape,
        "smpp": smpp,
        "smpp_long": smpp_long,
        "opt_out": tuple(word for word in opt_out if word.strip()) if opt_out else None,
        "stop_reply": stop_reply,
        "start_reply": start_reply,
    }
    changes.update({key: value for key, value in given.items() if value is not None})
    for reply in ("stop_reply", "start_reply"):  # '' sends none
        if reply in changes:
            changes[reply] = changes[reply] or None

    async def work(gw: Gateway) -> InboundSettings:
        account = await gw.accounts.get(account_name)
        current = await gw.inbound_settings.get(account)
        if not changes:
            return current
        return await gw.inbound_settings.set(replace(current, **changes))

    settings = with_gateway(ctx, work)
    emit(as_json, settings_json(settings), settings_lines(settings))
