"""`smsgate messages ...`: look at an account's messages from the command line, and
prune the old ones (retention)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click
import msgspec

from smsgate.api.native.messages import message_view
from smsgate.app import Gateway
from smsgate.cli.shared import command_on, emit, emit_rows, json_option, with_gateway
from smsgate.core.messages import Message, Part
from smsgate.core.money import format_amount
from smsgate.services.retention import Pruned


def message_json(message: Message, parts: list[Part] | None = None) -> dict[str, Any]:
    """The message as `GET /api/v1/messages/{id}` shows it (ISO-8601 times), so the CLI
    and the API print one format; with `parts`, each part also names its upstream."""
    data: dict[str, Any] = msgspec.to_builtins(message_view(message, parts))
    if parts is not None:
        stored = {p.seq: p for p in parts}
        for view in data["part_statuses"]:
            part = stored.get(view["seq"])
            view["upstream_id"] = part.upstream_id if part else None
            view["connector"] = part.connector if part else None
    return data


def message_line(m: Message) -> str:
    return (
        f"{m.id}  {m.to:<16} {m.status.value:<11} {m.parts}p {format_amount(m.cost)} {m.currency}"
    )


@click.group()
def messages() -> None:
    """List and show messages."""


@messages.command("list")
@click.argument("account_name")
@click.option("--status", help="Only messages in this status.")
@click.option("--limit", default=50, show_default=True)
@json_option
@click.pass_context
def list_messages(
    ctx: click.Context, account_name: str, status: str | None, limit: int, as_json: bool
) -> None:
    """List an account's newest messages."""

    async def work(gw: Gateway) -> list[Message]:
        owner = await gw.accounts.get(account_name)
        page, _ = await gw.messages.page(owner, status=status, limit=limit)
        return page

    page = with_gateway(ctx, work)
    emit_rows(as_json, "messages", page, message_json, message_line, "no messages")


@command_on(messages, "show", "message_id")
def show_message(ctx: click.Context, message_id: str, as_json: bool) -> None:
    """Show one message with its parts."""

    async def work(gw: Gateway) -> tuple[Message, list[Part]]:
        message = await gw.store.message(message_id)
        if message is None:
            raise click.ClickException(f"no message {message_id}")
        return message, await gw.store.parts(message_id)

    message, parts = with_gateway(ctx, work)
    data = message_json(message, parts)
    lines = [message_line(message), message.text]
    lines += [f"  part {p.seq}: {p.status.value} {p.upstream_id or ''}" for p in parts]
    emit(as_json, data, "\n".join(lines))


@messages.command("prune")
@click.option(
    "--days",
    type=click.IntRange(1, 36_500),
    help="Delete what is older than this; default: SMSGATE_RETENTION_DAYS.",
)
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@json_option
@click.pass_context
def prune(ctx: click.Context, days: int | None, batch: int, as_json: bool) -> None:
    """Delete final messages and MO older than the retention period now, keeping their
    totals for the statistics (what the gateway does every hour when it is set)."""

    async def go(gw: Gateway) -> tuple[int, Pruned]:
        period = days or gw.settings.retention_days
        if not period:
            raise click.UsageError("give --days, or set SMSGATE_RETENTION_DAYS")
        service = replace(gw.retention, days=period, batch=batch)
        return period, await service.run_once()

    period, done = with_gateway(ctx, go)
    emit(
        as_json,
        {"days": period, "messages": done.messages, "inbound": done.inbound},
        f"deleted {done.messages} messages and {done.inbound} MO older than {period} days",
    )
