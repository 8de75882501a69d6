"""`smsgate messages ...`: look at an account's messages from the command line."""

from __future__ import annotations

from typing import Any

import click

from smsgate.app import Gateway
from smsgate.cli.shared import emit, json_option, with_gateway
from smsgate.core.messages import Message
from smsgate.core.money import format_amount


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "batch_id": message.batch_id,
        "to": message.to,
        "from": message.sender,
        "text": message.text,
        "encoding": message.encoding,
        "parts": message.parts,
        "cost": format_amount(message.cost),
        "currency": message.currency,
        "status": message.status.value,
        "error": message.error,
        "reference": message.reference,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "done_at": message.done_at,
    }


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
    emit(
        as_json,
        {"messages": [message_json(m) for m in page]},
        "\n".join(message_line(m) for m in page) or "no messages",
    )


@messages.command("show")
@click.argument("message_id")
@json_option
@click.pass_context
def show_message(ctx: click.Context, message_id: str, as_json: bool) -> None:
    """Show one message with its parts."""

    async def work(gw: Gateway) -> tuple[Message, list[Any]]:
        message = await gw.store.message(message_id)
        if message is None:
            raise click.ClickException(f"no message {message_id}")
        return message, await gw.store.parts(message_id)

    message, parts = with_gateway(ctx, work)
    data = message_json(message)
    data["part_statuses"] = [
        {"seq": p.seq, "status": p.status.value, "upstream_id": p.upstream_id, "error": p.error}
        for p in parts
    ]
    lines = [message_line(message), message.text]
    lines += [f"  part {p.seq}: {p.status.value} {p.upstream_id or ''}" for p in parts]
    emit(as_json, data, "\n".join(lines))
