"""`smsgate run` (and the HTTP workers it starts) and `smsgate migrate`."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Any

import click

from smsgate.cli.shared import loop_runner
from smsgate.config import ConfigError, Settings, validate
from smsgate.logs import configure_logging
from smsgate.processes import PortInUse, WorkerLink
from smsgate.serving import serve, serve_http_worker
from smsgate.store import migrate as migrate_store


@click.command()
@click.option("--port", type=int, help="HTTP port (default 8080, or SMSGATE_HTTP_PORT).")
@click.option("--host", help="HTTP address to listen on (default 127.0.0.1).")
@click.option(
    "--roles",
    help="What this node runs, comma-separated: api,smpp,dispatch,webhooks (default all).",
)
@click.pass_obj
def run(settings: Settings, port: int | None, host: str | None, roles: str | None) -> None:
    """Start the gateway: HTTP API, dispatcher, simulated operator, webhooks."""
    if roles is not None:
        settings = replace(settings, roles=roles)
        try:
            validate(settings)
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from None
    if port is not None:
        settings = replace(settings, http_port=port)
    if host is not None:
        settings = replace(settings, http_host=host)
    configure_logging(settings.log_level, json_lines=settings.log_json)
    with (
        contextlib.suppress(KeyboardInterrupt),
        loop_runner(settings) as runner,
    ):
        try:
            runner.run(serve(settings, say=click.echo))
        except PortInUse as exc:
            click.echo(f"smsgate: {exc}", err=True)
            raise SystemExit(1) from None


@click.command("http-worker", hidden=True)
@click.option("--index", type=int, required=True)
@click.option("--workers", type=int, required=True)
@click.option("--listen-fd", type=int, required=True)
@click.option("--ready-fd", type=int, required=True)
@click.option("--lifeline-fd", type=int, required=True)
@click.option("--wake-port", type=int, required=True)
@click.option("--counters", required=True)
@click.option("--smpp/--no-smpp", default=False)
@click.option("--bell-read-fd", type=int, required=True)
@click.option("--bell-write-fd", type=int, required=True)
@click.pass_obj
def http_worker(settings: Settings, /, **link: Any) -> None:
    """One HTTP worker process; `smsgate run` starts these itself."""
    configure_logging(settings.log_level, json_lines=settings.log_json)
    with (
        contextlib.suppress(KeyboardInterrupt),
        loop_runner(settings) as runner,
    ):
        runner.run(serve_http_worker(settings, WorkerLink(**link)))


@click.command()
@click.pass_obj
def migrate(settings: Settings) -> None:
    """Create or upgrade the database schema."""
    url = settings.database()
    with loop_runner(settings) as runner:
        runner.run(migrate_store(url))
    click.echo(f"database at {url} is up to date")
