"""What every command shares: settings loading, the event loop every process runs on,
running a coroutine on an open gateway, and printing results as text or JSON."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import click

from smsgate.app import Gateway
from smsgate.config import ConfigError, Settings, load
from smsgate.core.errors import SmsgateError
from smsgate.core.money import parse_amount

T = TypeVar("T")

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


def command_on(
    group: click.Group, name: str, argument: str = "name"
) -> Callable[[Callable[..., None]], click.Command]:
    """`group`'s command `name`, taking one `argument` and --json, called with the context."""

    def decorate(f: Callable[..., None]) -> click.Command:
        return group.command(name)(click.argument(argument)(json_option(click.pass_context(f))))

    return decorate


def parse_money(value: str) -> int:
    """An amount given on the command line ("5", "0.05") in micro-units, or BadParameter."""
    try:
        return parse_amount(value)
    except SmsgateError as exc:
        raise click.BadParameter(exc.message) from exc


def load_settings(config_path: str | None) -> Settings:
    try:
        return load(toml_path=config_path)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """The event loop `choice` (config.EVENT_LOOPS) names: uvloop's for "uvloop", and for
    "auto" when uvloop is installed (the `fast` extra); else asyncio's."""
    if choice == "asyncio":
        return asyncio.new_event_loop
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise click.UsageError(
                "event_loop is uvloop but uvloop is not installed: install smsgate[fast]"
                " or run pip install uvloop"
            ) from None
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def loop_runner(settings: Settings) -> asyncio.Runner:
    """A runner on the event loop the settings choose."""
    return asyncio.Runner(loop_factory=loop_factory(settings.event_loop))


def with_gateway(ctx: click.Context, work: Callable[[Gateway], Awaitable[T]]) -> T:
    """Open the store and services (no background roles), run `work`, close again."""
    settings: Settings = ctx.find_object(Settings) or load_settings(None)

    async def go() -> T:
        gateway = await Gateway.open(settings)
        try:
            return await work(gateway)
        finally:
            await gateway.close()

    try:
        with loop_runner(settings) as runner:
            return runner.run(go())
    except SmsgateError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from exc


def emit(as_json: bool, data: Any, text: str) -> None:
    """Print `data` as JSON, or `text` for people."""
    click.echo(json.dumps(data, indent=2, sort_keys=False) if as_json else text)


def emit_rows(
    as_json: bool,
    key: str,
    rows: Iterable[T],
    as_data: Callable[[T], Any],
    as_line: Callable[[T], str],
    none: str,
) -> None:
    """Print `rows` as {key: [data...]}, or one line each (`none` when there are none)."""
    rows = list(rows)
    emit(as_json, {key: [as_data(r) for r in rows]}, "\n".join(map(as_line, rows)) or none)
