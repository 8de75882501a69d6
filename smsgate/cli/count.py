"""`smsgate count`: how a text would be encoded and split, like a provider's web counter."""

from __future__ import annotations

import json

import click

from smsgate.text import Concat, Encoding, MessagePlan, TextError, plan

_UNIT_NAMES = {
    Encoding.GSM7: "septets",
    Encoding.UCS2: "UCS-2 code units",
    Encoding.LATIN1: "octets",
    Encoding.BINARY: "octets",
}
_TEXT_ENCODINGS = (Encoding.AUTO, Encoding.GSM7, Encoding.UCS2, Encoding.LATIN1)


@click.command("count")
@click.argument("text")
@click.option(
    "--encoding",
    type=click.Choice([encoding.value for encoding in _TEXT_ENCODINGS]),
    default=Encoding.AUTO.value,
    show_default=True,
    help="auto uses GSM 03.38 when every character allows it, else UCS-2.",
)
@click.option(
    "--concat",
    type=click.Choice([concat.value for concat in Concat]),
    default=Concat.UDH8.value,
    show_default=True,
    help="How long messages are split (UDH8/UDH16 headers take room in each part).",
)
@click.option(
    "--max-parts",
    type=click.IntRange(1, 255),
    default=10,
    show_default=True,
    help="Refuse texts that need more parts than this.",
)
@click.option(
    "--transliterate",
    is_flag=True,
    help="Replace typographic quotes, dashes and accents that GSM lacks by look-alikes.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def count(
    text: str, encoding: str, concat: str, max_parts: int, transliterate: bool, as_json: bool
) -> None:
    """Show the encoding, parts and units TEXT takes; exit 2 if it cannot be sent."""
    try:
        result = plan(
            text,
            encoding=Encoding(encoding),
            concat=Concat(concat),
            max_parts=max_parts,
            transliterate=transliterate,
        )
    except TextError as exc:
        if as_json:
            click.echo(json.dumps({"error": {"code": exc.code, "message": str(exc)}}))
        else:
            click.echo(f"error: {exc} ({exc.code})", err=True)
        raise SystemExit(2) from None
    if as_json:
        click.echo(json.dumps(_summary(result, len(text)), ensure_ascii=False))
        return
    unit = _UNIT_NAMES[result.encoding]
    click.echo(f"encoding:        {result.encoding}")
    click.echo(f"parts:           {result.sms_count}")
    click.echo(f"units:           {result.units} {unit}")
    click.echo(f"units per part:  {result.units_per_part}")
    click.echo(f"units left:      {result.units_left}")
    if result.text != text:
        click.echo(f"sent as:         {result.text}")


def _summary(result: MessagePlan, characters: int) -> dict[str, object]:
    return {
        "encoding": result.encoding.value,
        "parts": result.sms_count,
        "units": result.units,
        "units_per_part": result.units_per_part,
        "units_left": result.units_left,
        "unit": _UNIT_NAMES[result.encoding],
        "characters": characters,
        "text": result.text,
    }
