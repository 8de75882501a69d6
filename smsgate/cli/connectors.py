"""`smsgate connector ...` and `smsgate route ...`.

Connector and route changes go to the store; a running gateway picks them up within a
few seconds, without a restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from smsgate.app import Gateway
from smsgate.cli.shared import command_on, emit, emit_rows, json_option, with_gateway
from smsgate.core.routing import Route
from smsgate.services.connectors import ConnectorDefinition

HIDDEN = "********"


def connector_json(definition: ConnectorDefinition, held: int = 0) -> dict[str, Any]:
    settings = dict(definition.settings)
    if "password" in settings:
        settings["password"] = HIDDEN
    return {
        "name": definition.name,
        "type": definition.type,
        "enabled": definition.enabled,
        "held": held,
        "settings": settings,
    }


def connector_line(definition: ConnectorDefinition, held: int = 0) -> str:
    """Name, type, state, address, and the messages waiting for its bind if any."""
    s = definition.settings
    where = f"{s.get('host')}:{s.get('port')}" if "host" in s else ""
    state = "enabled" if definition.enabled else "disabled"
    waiting = f"  {held} held" if held else ""
    return f"{definition.name:<16} {definition.type:<6} {state:<9} {where}{waiting}"


def route_json(route: Route, account: str | None) -> dict[str, Any]:
    return {
        "id": route.id,
        "prefix": route.prefix or "*",
        "connector": route.connector,
        "account": account,
        "priority": route.priority,
    }


def route_line(route: Route, account: str | None) -> str:
    prefix = f"+{route.prefix}" if route.prefix else "*"
    who = f" account={account}" if account else ""
    return f"{route.id:>5}  {prefix:<12} -> {route.connector:<16} priority={route.priority}{who}"


@click.group()
def connector() -> None:
    """Upstream operator connections (SMPP); a running gateway picks up changes."""


@connector.command("add")
@click.argument("name")
@click.option("--type", "type_", default="smpp", show_default=True, help="Connector type.")
@click.option("--host", required=True, help="The operator's SMSC address.")
@click.option("--port", type=int, required=True, help="The SMSC port.")
@click.option("--system-id", required=True, help="The system_id to bind with.")
@click.option("--password", required=True, help="The bind password.")
@click.option("--system-type", default="", help="system_type, when the operator wants one.")
@click.option("--bind", type=click.Choice(["trx", "tx+rx"]), default="trx", show_default=True)
@click.option("--binds", type=int, default=1, show_default=True, help="Binds (or tx+rx pairs).")
@click.option("--window", type=int, default=10, show_default=True, help="Unanswered submits.")
@click.option("--throughput", type=float, help="Most submit_sm per second (default: no limit).")
@click.option("--source-ton", type=int, help="source_addr_ton (default: 5 alphanumeric, 1 digits).")
@click.option("--source-npi", type=int, help="source_addr_npi (with --source-ton).")
@click.option("--dest-ton", type=int, default=1, show_default=True)
@click.option("--dest-npi", type=int, default=1, show_default=True)
@click.option(
    "--default-alphabet", type=click.Choice(["gsm7", "latin1"]), default="gsm7", show_default=True
)
@click.option(
    "--concat",
    type=click.Choice(["udh8", "udh16", "sar", "payload"]),
    default="udh8",
    show_default=True,
    help="How long messages travel.",
)
@click.option(
    "--id-format",
    type=click.Choice(["hex", "dec", "str"]),
    default="hex",
    show_default=True,
    help="How to read the operator's message ids.",
)
@click.option("--tls", is_flag=True, help="Connect with TLS.")
@json_option
@click.pass_context
def add_connector(
    ctx: click.Context, /, name: str, type_: str, as_json: bool, **options: Any
) -> None:
    """Add an operator connection (enabled at once)."""
    settings = {key: value for key, value in options.items() if value is not None}

    async def work(gw: Gateway) -> ConnectorDefinition:
        return await gw.connectors.add(name, type_, settings)

    added = with_gateway(ctx, work)
    emit(as_json, connector_json(added), f"added {connector_line(added)}")


@connector.command("list")
@json_option
@click.pass_context
def list_connectors(ctx: click.Context, as_json: bool) -> None:
    """Every connector in the table (the built-in simulator is always there too), with
    the messages held for it while it has no bind."""

    async def work(gw: Gateway) -> tuple[list[ConnectorDefinition], dict[str, int]]:
        return await gw.connectors.list(), await gw.connectors.held()

    found, held = with_gateway(ctx, work)
    emit_rows(
        as_json,
        "connectors",
        found,
        lambda d: connector_json(d, held.get(d.name, 0)),
        lambda d: connector_line(d, held.get(d.name, 0)),
        "(no connectors)",
    )


@command_on(connector, "show")
def show_connector(ctx: click.Context, name: str, as_json: bool) -> None:
    """One connector, its settings (the password hidden) and its held messages."""

    async def work(gw: Gateway) -> tuple[ConnectorDefinition, int]:
        return await gw.connectors.get(name), (await gw.connectors.held()).get(name, 0)

    found, held = with_gateway(ctx, work)
    data = connector_json(found, held)
    details = "\n".join(f"  {key}: {value}" for key, value in sorted(data["settings"].items()))
    emit(as_json, data, f"{connector_line(found, held)}\n{details}")


def _switch(ctx: click.Context, name: str, enabled: bool, as_json: bool) -> None:
    async def work(gw: Gateway) -> tuple[ConnectorDefinition, int]:
        changed = await gw.connectors.set_enabled(name, enabled)
        return changed, (await gw.connectors.held()).get(name, 0)

    changed, held = with_gateway(ctx, work)
    emit(as_json, connector_json(changed, held), connector_line(changed, held))


@command_on(connector, "enable")
def enable_connector(ctx: click.Context, name: str, as_json: bool) -> None:
    """Start using a connector again."""
    _switch(ctx, name, True, as_json)


@command_on(connector, "disable")
def disable_connector(ctx: click.Context, name: str, as_json: bool) -> None:
    """Stop a connector: it drains, and its routes fail over."""
    _switch(ctx, name, False, as_json)


@command_on(connector, "remove")
def remove_connector(ctx: click.Context, name: str, as_json: bool) -> None:
    """Remove a connector (its routes stay, and fail over, until removed)."""
    with_gateway(ctx, lambda gw: gw.connectors.remove(name))
    emit(as_json, {"removed": name}, f"removed {name}")


@click.group()
def route() -> None:
    """The route table: which connector carries which destinations."""


async def _account_names(gw: Gateway, routes: Sequence[Route]) -> dict[int, str]:
    names: dict[int, str] = {}
    for account_id in {r.account_id for r in routes if r.account_id is not None}:
        names[account_id] = (await gw.accounts.get_by_id(account_id)).name
    return names


@route.command("add")
@click.option("--prefix", required=True, help="Destination prefix, e.g. +39 or 39; * for all.")
@click.option("--connector", "connector_name", required=True, help="The connector to use.")
@click.option("--account", help="Only for this account (beats general routes).")
@click.option("--priority", type=int, default=0, show_default=True, help="Lower wins.")
@json_option
@click.pass_context
def add_route(
    ctx: click.Context,
    prefix: str,
    connector_name: str,
    account: str | None,
    priority: int,
    as_json: bool,
) -> None:
    """Send destinations starting with PREFIX through a connector."""

    async def work(gw: Gateway) -> Route:
        account_id = (await gw.accounts.get(account)).id if account else None
        return await gw.routes.add(prefix, connector_name, account_id=account_id, priority=priority)

    added = with_gateway(ctx, work)
    emit(as_json, route_json(added, account), f"added {route_line(added, account)}")


@route.command("list")
@json_option
@click.pass_context
def list_routes(ctx: click.Context, as_json: bool) -> None:
    """Every route; destinations no route matches go to the built-in simulator."""

    async def work(gw: Gateway) -> tuple[list[Route], dict[int, str]]:
        routes = await gw.routes.list()
        return routes, await _account_names(gw, routes)

    routes, names = with_gateway(ctx, work)

    def owner(r: Route) -> str | None:
        return names.get(r.account_id) if r.account_id is not None else None

    emit_rows(
        as_json,
        "routes",
        routes,
        lambda r: route_json(r, owner(r)),
        lambda r: route_line(r, owner(r)),
        "(no routes)",
    )


@route.command("remove")
@click.argument("route_id", type=int)
@json_option
@click.pass_context
def remove_route(ctx: click.Context, route_id: int, as_json: bool) -> None:
    """Remove one route by its id."""
    with_gateway(ctx, lambda gw: gw.routes.remove(route_id))
    emit(as_json, {"removed": route_id}, f"removed route {route_id}")
