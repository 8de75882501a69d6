"""`smsgate stop ...`: an account's STOP list: list, add, remove, import a CSV, export one."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import IO, Any

import click

from smsgate.app import Gateway
from smsgate.cli.shared import emit, emit_rows, json_option, with_gateway
from smsgate.services.stoplist import (
    EXPORT_HEADER,
    SOURCE_CLI,
    SOURCE_IMPORT,
    StopEntry,
    StopImport,
    csv_numbers,
    csv_row,
)


def entry_json(entry: StopEntry) -> dict[str, Any]:
    return {"number": entry.number, "source": entry.source, "created_at": _iso(entry.created_at)}


def entry_line(entry: StopEntry) -> str:
    return f"{entry.number:<17} {entry.source:<8} {_iso(entry.created_at)}"


@click.group()
def stop() -> None:
    """The STOP list of an account: numbers it must not text."""


@stop.command("list")
@click.argument("account_name", metavar="ACCOUNT")
@click.option("--source", help="Only entries of this source (api, cli, import, inbound).")
@json_option
@click.pass_context
def list_stops(ctx: click.Context, account_name: str, source: str | None, as_json: bool) -> None:
    """List the account's STOP list, newest first."""

    async def work(gw: Gateway) -> list[StopEntry]:
        account = await gw.accounts.get(account_name)
        return [e async for e in gw.stop_list.every_entry(account, source=source)]

    entries = with_gateway(ctx, work)
    emit_rows(as_json, "entries", entries, entry_json, entry_line, "the STOP list is empty")


@stop.command("add")
@click.argument("account_name", metavar="ACCOUNT")
@click.argument("number")
@json_option
@click.pass_context
def add_stop(ctx: click.Context, account_name: str, number: str, as_json: bool) -> None:
    """Put NUMBER (E.164, or national in the account's country) on the list."""

    async def work(gw: Gateway) -> tuple[StopEntry, bool]:
        account = await gw.accounts.get(account_name)
        return await gw.stop_list.add_new(account, number, source=SOURCE_CLI)

    entry, added = with_gateway(ctx, work)
    said = "added" if added else "already on the STOP list"
    emit(as_json, {**entry_json(entry), "added": added}, f"{entry.number}: {said}")


@stop.command("remove")
@click.argument("account_name", metavar="ACCOUNT")
@click.argument("number")
@click.pass_context
def remove_stop(ctx: click.Context, account_name: str, number: str) -> None:
    """Take NUMBER off the list."""

    async def work(gw: Gateway) -> None:
        await gw.stop_list.remove(await gw.accounts.get(account_name), number)

    with_gateway(ctx, work)
    click.echo(f"{number}: removed")


@stop.command("import")
@click.argument("account_name", metavar="ACCOUNT")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@json_option
@click.pass_context
def import_stops(ctx: click.Context, account_name: str, file: IO[str], as_json: bool) -> None:
    """Add the numbers of a CSV (the first column; a header `number` is allowed)."""

    async def work(gw: Gateway) -> StopImport:
        account = await gw.accounts.get(account_name)
        return await gw.stop_list.import_numbers(account, csv_numbers(file), source=SOURCE_IMPORT)

    done = with_gateway(ctx, work)
    invalid = [{"line": i.line, "value": i.value, "reason": i.reason} for i in done.invalid_lines]
    text = [f"added {done.added}, already present {done.present}, invalid {done.invalid}"]
    text += [f"  line {i['line']}: {i['value']!r}: {i['reason']}" for i in invalid]
    data = {
        "added": done.added,
        "already_present": done.present,
        "invalid": done.invalid,
        "invalid_lines": invalid,
    }
    emit(as_json, data, "\n".join(text))


@stop.command("export")
@click.argument("account_name", metavar="ACCOUNT")
@click.option(
    "--output", type=click.File("w", encoding="utf-8"), help="Write to this file, not stdout."
)
@click.pass_context
def export_stops(ctx: click.Context, account_name: str, output: IO[str] | None) -> None:
    """Print the list as CSV: number,source,created_at (ISO 8601), newest first."""

    async def work(gw: Gateway) -> list[StopEntry]:
        account = await gw.accounts.get(account_name)
        return [e async for e in gw.stop_list.every_entry(account)]

    entries = with_gateway(ctx, work)
    out = output or sys.stdout
    out.write(EXPORT_HEADER)
    out.writelines(csv_row(e) for e in entries)
    out.flush()


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
