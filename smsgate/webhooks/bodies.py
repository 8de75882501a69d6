"""What a webhook POST carries: a receipt's JSON, and an MO in each shape a customer takes
it in (services.inbound_plan SHAPES and SMSPARTNER_REPLY), one function per shape, with
the answer that alone means delivered; docs/inbound.md, "Webhooks", has every field."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

import msgspec

from smsgate.core.messages import Message
from smsgate.core.money import format_amount
from smsgate.services.inbound_numbers import (
    AGILETELECOM,
    NATIVE,
    SMSPARTNER,
    first_word,
    normalise_number,
)
from smsgate.services.inbound_plan import SMSPARTNER_REPLY, STOP_ADD, stop_command
from smsgate.services.mo_webhooks import MoDelivery

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
AGILE_OK = b"+OK"  # Agile Telecom's receivers answer this body, and only this, when they have it

# A body, its content type, and the answer body that alone means delivered (None: any 2xx).
Body = tuple[bytes, str, bytes | None]


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


def notification_body(message: Message) -> bytes:
    return msgspec.json.encode(
        {
            "event": "message.status",
            "id": message.id,
            "batch_id": message.batch_id,
            "reference": message.reference,
            "to": message.to,
            "from": message.sender,
            "status": message.status.value,
            "error": message.error,
            "parts": message.parts,
            "cost": format_amount(message.cost),
            "currency": message.currency,
            "created_at": iso(message.created_at),
            "sent_at": iso(message.sent_at),
            "done_at": iso(message.done_at),
        }
    )


def mo_body(delivery: MoDelivery) -> Body | None:
    """The POST `delivery` asks for; None for a shape this version does not know."""
    shape = _SHAPES.get(delivery.shape)
    return None if shape is None else shape(delivery)


def native(delivery: MoDelivery) -> Body:
    mo = delivery.mo
    body = {
        "event": "message.inbound",
        "id": mo.id,
        "from": mo.source,
        "to": mo.destination,
        "text": mo.text,
        "encoding": mo.encoding,
        "parts": mo.parts,
        "keyword": mo.keyword,
        "received_at": iso(mo.received_at),
    }
    return msgspec.json.encode(body), JSON, None


def agiletelecom(delivery: MoDelivery) -> Body:
    """Agile Telecom's inbound push: a form POST answered `+OK`."""
    mo = delivery.mo
    fields = {
        "originator": _plus(mo.source),
        "destination": mo.destination,
        "date_time": time.strftime("%Y%m%d%H%M%S", time.gmtime(mo.received_at)),
        "text": mo.text,
    }
    return urlencode(fields).encode(), FORM, AGILE_OK


def smspartner(delivery: MoDelivery) -> Body:
    """SMS Partner's MO on a long or virtual number."""
    mo = delivery.mo
    body = {
        "msisdn": mo.source.removeprefix("+"),
        "to": mo.destination.removeprefix("+"),
        "messageId": str(mo.id),
        "text": mo.text,
        "type": "text",
        "keyword": mo.keyword or first_word(mo.text),
        "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(mo.received_at)),
    }
    return msgspec.json.encode(body), JSON, None


def smspartner_reply(delivery: MoDelivery) -> Body:
    """SMS Partner's MO replying to a send that had `urlResponse`; a STOP is typed so."""
    mo = delivery.mo
    body = {
        "type": "stop" if stop_command(mo.text, None) == STOP_ADD else "response",
        "phone_number": _plus(mo.source),
        "text": mo.text,
        "message_id": delivery.reply_id,
    }
    return msgspec.json.encode(body), JSON, None


def _plus(number: str) -> str:
    """A long number in E.164 with its '+'; a short code's digits; a name as it is."""
    return normalise_number(number) or number


_SHAPES: dict[str, Callable[[MoDelivery], Body]] = {
    NATIVE: native,
    AGILETELECOM: agiletelecom,
    SMSPARTNER: smspartner,
    SMSPARTNER_REPLY: smspartner_reply,
}
