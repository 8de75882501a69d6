"""What every command shares: settings loading, running a coroutine on an open
gateway, and printing results as text or JSON."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from smsgate.app import Gateway
from smsgate.config import ConfigError, Settings, load
from smsgate.core.errors import SmsgateError

T = TypeVar("T")

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


def load_settings(config_path: str | None) -> Settings:
    try:
        return load(toml_path=config_path)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


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
        return asyncio.run(go())
    except SmsgateError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from exc


def emit(as_json: bool, data: Any, text: str) -> None:
    """Print `data` as JSON, or `text` for people."""
    click.echo(json.dumps(data, indent=2, sort_keys=False) if as_json else text)
