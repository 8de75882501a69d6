"""`smsgate simulator`: a fake operator SMSC (SMPP server) with its options, and
`smsgate simulator mo`, an MO from the built-in simulated operator into the store."""

from __future__ import annotations

from typing import Any

import click

from smsgate.app import Gateway
from smsgate.cli.shared import emit, json_option, with_gateway
from smsgate.connectors.simulated_operator import mo_coding
from smsgate.core.storable import storable
from smsgate.services.inbound import StoredInbound
from smsgate.services.inbound_numbers import normalise_number
from smsgate.smpp import smsc_simulator
from smsgate.text import TextError

SIMULATED_OPERATOR = "simulator"  # the built-in operator's connector name
_SMSC_OPTIONS = "smsgate.simulator.options"


class _SimulatorGroup(click.Group):
    """Its subcommands by name; any other arguments are the fake SMSC's own options."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            return super().parse_args(ctx, args)
        ctx.meta[_SMSC_OPTIONS] = list(args)
        return super().parse_args(ctx, [])


@click.group(cls=_SimulatorGroup, invoke_without_command=True, add_help_option=False)
@click.pass_context
def simulator(ctx: click.Context) -> None:
    """Run a fake operator SMSC (SMPP server); `smsgate simulator --help` lists its
    options. `smsgate simulator mo --help`: an MO from the built-in operator."""
    if ctx.invoked_subcommand is None:
        raise SystemExit(smsc_simulator.main(ctx.meta.get(_SMSC_OPTIONS, [])))


def mo_json(mo: StoredInbound, account: str | None) -> dict[str, Any]:
    return {
        "id": mo.id,
        "from": mo.source,
        "to": mo.destination,
        "account": account,
        "keyword": mo.keyword,
        "encoding": mo.encoding,
        "parts": mo.parts,
    }


def mo_line(mo: StoredInbound, account: str | None) -> str:
    routed = f"routed to {account}" if account else "unrouted"
    keyword = f" by keyword {mo.keyword}" if mo.keyword else ""
    return f"MO {mo.id} from {mo.source} to {mo.destination}: {routed}{keyword}"


def _number(raw: str, option: str, *, long_only: bool) -> str:
    number = normalise_number(raw)
    if number is None or (long_only and not number.startswith("+")):
        what = "a phone number in E.164" if long_only else "E.164 or a short code of 3-8 digits"
        raise click.BadParameter(f"{raw!r} is not {what}", param_hint=option)
    return number


@simulator.command("mo")
@click.option("--from", "source", required=True, help="The handset's number (E.164).")
@click.option("--to", "destination", required=True, help="The number it is sent to.")
@click.option("--text", required=True, help="The message (GSM 03.38, else UCS-2).")
@json_option
@click.pass_context
def inject_mo(ctx: click.Context, source: str, destination: str, text: str, as_json: bool) -> None:
    """Deliver an MO as the built-in simulated operator does: stored, routed, with its
    effects; a running gateway then delivers it. Prints its id and where it went."""
    sender = _number(source, "--from", long_only=True)
    to = _number(destination, "--to", long_only=False)
    if not storable(text):
        raise click.BadParameter("contains U+0000 or an unpaired surrogate", param_hint="--text")
    try:
        encoding, parts = mo_coding(text)
    except TextError as exc:
        raise click.BadParameter(str(exc), param_hint="--text") from exc

    async def work(gw: Gateway) -> tuple[StoredInbound, str | None]:
        inbound_id = await gw.inbound.receive(SIMULATED_OPERATOR, sender, to, text, encoding, parts)
        mo = await gw.store.inbound_message(inbound_id)
        assert mo is not None
        account = await gw.store.account(mo.account_id) if mo.account_id else None
        return mo, account.name if account else None

    mo, account = with_gateway(ctx, work)
    emit(as_json, mo_json(mo, account), mo_line(mo, account))
