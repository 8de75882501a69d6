"""The `smsgate` command line: one click group; each command group lives in its own module."""

from __future__ import annotations

import os

import click

from smsgate import __version__
from smsgate.cli.accounts import account, key
from smsgate.cli.admins import admin
from smsgate.cli.connectors import connector, route
from smsgate.cli.count import count
from smsgate.cli.messages import messages
from smsgate.cli.numbers import inbound, keyword, number
from smsgate.cli.prices import price
from smsgate.cli.server import http_worker, migrate, run
from smsgate.cli.shared import load_settings
from smsgate.cli.simulator import simulator
from smsgate.cli.stoplist import stop


@click.group()
@click.version_option(__version__, prog_name="smsgate")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="SMSGATE_CONFIG",
    help="A TOML settings file; SMSGATE_* environment variables override it.",
)
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """smsgate: a self-hosted SMS gateway and reseller platform."""
    ctx.obj = load_settings(config_path)
    if config_path:
        # The processes `smsgate run` starts read the same file.
        os.environ["SMSGATE_CONFIG"] = os.path.abspath(config_path)


for command in (
    run,
    http_worker,
    migrate,
    account,
    key,
    price,
    messages,
    count,
    connector,
    route,
    simulator,
    stop,
    number,
    keyword,
    inbound,
    admin,
):
    main.add_command(command)
