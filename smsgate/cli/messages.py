"""`smsgate messages ...`: look at an account's messages from the command line."""

from __future__ import annotations

from typing import Any

import click
import msgspec

from smsgate.api.native.messages import message_view
from smsgate.app import Gateway
from smsgate.cli.shared import command_on, emit, emit_rows, json_option, with_gateway
from smsgate.core.messages import Message, Part
from smsgate.core.money import format_amount


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
