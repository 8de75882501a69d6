"""Agile Telecom response bodies: send, credit, lookup, and errors through the table."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from smsgate.api.compat.agiletelecom.parse import SendRequest
from smsgate.api.compat.agiletelecom.tables import INTERNAL_ERROR, wire_error
from smsgate.api.errors import retry_after
from smsgate.core.errors import SmsgateError
from smsgate.core.money import format_amount
from smsgate.services.lookup import LookupResult

logger = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode


def json_body(body: object, status: int = 200) -> Response:
    return Response(_encode(body), status, media_type="application/json")


def error_reply(request: Request, exc: Exception) -> Response:
    """An error of a send or credit request: its code from the table, with Retry-After
    when waiting helps; anything unexpected is logged and answered as a server error."""
    if isinstance(exc, SmsgateError):
        status, body = render_error(exc)
        response = json_body(body, status)
        response.headers.update(retry_after(exc) or {})
        return response
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    status, body = render_internal_error()
    return json_body(body, status)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one destination: stored (message_id), quoted, or refused."""

    destination: str
    client_id: str | None
    message_id: str | None
    parts: int
    status: int
    replayed: bool = False


def number_text(micros: int) -> msgspec.Raw:
    """A JSON number for an amount, written from integer micro-units: 10.324, 0, 3.5."""
    return msgspec.Raw(format_amount(micros, min_decimals=0).encode())


def render_error(exc: SmsgateError) -> tuple[int, dict[str, Any]]:
    code, status = wire_error(exc)
    return status, {"status": "error", "message": exc.message, "code": code}


def render_internal_error() -> tuple[int, dict[str, Any]]:
    code, status = INTERNAL_ERROR
    return status, {"status": "error", "message": "server error", "code": code}


def render_send(
    request: SendRequest, outcomes: list[Outcome], cost: int, currency: str
) -> dict[str, Any]:
    """The send answer (Agile documents none): every destination with its own status."""
    accepted = all(o.status == 200 for o in outcomes)
    return {
        "status": "success" if accepted else "error",
        "globalId": request.global_id,
        "simulation": request.simulation,
        "accepted": accepted,
        "sms": sum(o.parts for o in outcomes if o.status == 200),
        "cost": number_text(cost),
        "currency": currency,
        "results": [
            {
                "destination": o.destination,
                "id": o.client_id,
                "messageId": o.message_id,
                "accepted": o.status == 200,
                "statusCode": o.status,
                "parts": o.parts,
                **({"replayed": True} if o.replayed else {}),
            }
            for o in outcomes
        ],
    }


def render_credit(micros: int) -> dict[str, Any]:
    return {"credit": number_text(micros)}


def render_lookup(result: LookupResult) -> dict[str, Any]:
    """Agile's MNP answer from the numbering plan: mcc/mnc unknown, never seen as ported."""
    return {
        "number": result.e164,
        "mcc": "",
        "mnc": "",
        "numbertype": result.number_type,
        "ported": False,
        "operator": result.carrier_name,
        "country": result.region or "",
    }


def render_lookup_error(status: int, description: str) -> dict[str, Any]:
    return {"error_code": status, "error_description": description}
