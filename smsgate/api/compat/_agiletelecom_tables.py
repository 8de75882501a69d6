"""Agile Telecom wire format: THE error-code table, request parsing, response rendering.

Pure functions over decoded JSON: `parse_send` turns a /services/sms/send body into
typed entries or raises an error of the tree with a field the table knows; the
`render_*` functions build the bodies. No I/O and no services are called here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import msgspec

from smsgate.core.errors import InvalidRequest, SmsgateError
from smsgate.core.money import format_amount
from smsgate.services.lookup import LookupResult

INTERNAL_ERROR: Final = (8, 500)

ERROR_TABLE: Final[tuple[tuple[str, str | None, int, int], ...]] = (
    # (error code of the tree, field or None for any, Agile code, HTTP status);
    # the first row that matches wins.
    ("unauthenticated", None, 1, 401),
    ("forbidden", "source_ip", 100, 403),
    ("forbidden", None, 1, 403),
    ("insufficient_credit", None, 2, 402),
    ("invalid_recipient", None, 4, 400),
    ("stop_listed", None, 4, 400),
    ("no_price", None, 4, 400),
    ("empty_text", None, 6, 400),
    ("text_too_long", None, 7, 400),
    ("invalid_sender", None, 18, 400),
    ("invalid_request", "messages", 14, 400),
    ("invalid_request", "destinations", 13, 400),
    ("invalid_request", "to", 13, 400),
    ("invalid_request", "ids", 15, 400),
    ("invalid_request", "sender", 10, 400),
    ("invalid_request", "body", 6, 400),
    ("invalid_request", "text", 7, 400),
    ("invalid_request", "globalId", 20, 400),
    ("invalid_request", "maxIdLen", 21, 400),
    ("invalid_request", "udhData", 22, 400),
    ("invalid_request", "scheduling", 23, 400),
    ("invalid_request", "scheduled_at", 23, 400),
    ("invalid_request", "hexBody", 24, 400),
    ("invalid_request", None, 14, 400),
    ("payload_too_large", None, 14, 413),
    # No Agile code says "try later": a blocked login is a server-side refusal (8) with
    # the HTTP status and Retry-After of a rate limit.
    ("login_blocked", None, 8, 429),
    ("rate_limited", None, 8, 429),
    ("no_route", None, 8, 400),
)


def wire_error(exc: SmsgateError) -> tuple[int, int]:
    """(Agile code, HTTP status) of an error; unknown errors are a server error (8)."""
    for code, field, agile, status in ERROR_TABLE:
        if exc.code == code and (field is None or field == exc.field):
            return agile, status
    return INTERNAL_ERROR


MAX_ID_LEN: Final = 64
GLOBAL_ID = re.compile(r"^[A-Za-z0-9._:-]{1,50}$")
_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2})*$")
_SCHEDULE_FORMATS: Final = ("%Y-%m-%d %H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S%z")


@dataclass(frozen=True, slots=True)
class Entry:
    """One element of `messages[]`: the same text from one sender to its destinations."""

    destinations: tuple[str, ...]
    ids: tuple[str, ...] | None
    sender: str
    body: str
    scheduled_at: float | None
    udh: bytes | None = None


@dataclass(frozen=True, slots=True)
class SendRequest:
    global_id: str | None
    concatenated: bool
    unicode: bool
    delivery: bool
    simulation: bool
    callback_url: str | None
    entries: tuple[Entry, ...]


def parse_send(data: Any) -> SendRequest:
    """Validate a whole send body; raise the first error, in the order of the table."""
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object", field="messages")
    global_id = data.get("globalId")
    if global_id is not None and (not isinstance(global_id, str) or not GLOBAL_ID.match(global_id)):
        raise InvalidRequest("globalId must be 1-50 of A-Z a-z 0-9 . _ : -", field="globalId")
    max_id_len = data.get("maxIdLen", MAX_ID_LEN)
    if type(max_id_len) is not int or not 1 <= max_id_len <= MAX_ID_LEN:
        raise InvalidRequest(f"maxIdLen must be an integer 1-{MAX_ID_LEN}", field="maxIdLen")
    callback_url = data.get("callbackUrl")
    if callback_url is not None and not isinstance(callback_url, str):
        raise InvalidRequest("callbackUrl must be a string", field="callbackUrl")
    unicode = _flag(data, "enableUnicode", True)
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("messages must be a non-empty array", field="messages")
    entries = tuple(_entry(item, max_id_len, unicode) for item in messages)
    every_id = [i for entry in entries for i in entry.ids or ()]
    if len(set(every_id)) != len(every_id):
        raise InvalidRequest("ids must be unique within a request", field="ids")
    return SendRequest(
        global_id=global_id,
        concatenated=_flag(data, "enableConcatenated", True),
        unicode=unicode,
        delivery=_flag(data, "enableDelivery", True),
        simulation=_flag(data, "simulation", False),
        callback_url=callback_url,
        entries=entries,
    )


UDH_MAX = 70  # octets: half of a part, leaving room for text


def _flag(data: Mapping[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        # No code of the table names these flags; the request is unreadable as a whole.
        raise InvalidRequest(f"{name} must be true or false", field=name)
    return value


def _entry(item: Any, max_id_len: int, unicode: bool) -> Entry:
    if not isinstance(item, dict):
        raise InvalidRequest("each element of messages must be an object", field="messages")
    destinations = item.get("destinations")
    if not isinstance(destinations, list) or not destinations:
        raise InvalidRequest("destinations must be a non-empty array", field="destinations")
    if not all(isinstance(d, str) and d for d in destinations):
        raise InvalidRequest("destinations must be strings", field="destinations")
    ids = item.get("ids")
    if ids is not None:
        if not isinstance(ids, list) or len(ids) != len(destinations):
            raise InvalidRequest("ids and destinations differ in length", field="ids")
        if not all(isinstance(i, str) and 0 < len(i) <= max_id_len for i in ids):
            raise InvalidRequest(f"ids must be strings of 1-{max_id_len} characters", field="ids")
    sender = item.get("sender")
    if not isinstance(sender, str) or not sender:
        raise InvalidRequest("sender is required", field="sender")
    body = _body(item, unicode)
    return Entry(
        destinations=tuple(destinations),
        ids=tuple(ids) if ids is not None else None,
        sender=sender,
        body=body,
        scheduled_at=_scheduling(item.get("scheduling")),
        udh=_udh(item.get("udhData")),
    )


def _body(item: Mapping[str, Any], unicode: bool) -> str:
    body = item.get("body")
    if body is None or body == "":
        raise InvalidRequest("body is required", field="body")
    if not isinstance(body, str):
        raise InvalidRequest("body must be a string", field="hexBody")
    hex_body = item.get("hexBody", False)
    if not isinstance(hex_body, bool):
        raise InvalidRequest("hexBody must be true or false", field="hexBody")
    if not hex_body:
        return body
    if not _HEX.match(body):
        raise InvalidRequest("a hexBody must be hexadecimal octets", field="hexBody")
    octets = bytes.fromhex(body)
    try:
        return octets.decode("utf-16-be") if unicode else octets.decode("ascii")
    except UnicodeDecodeError as exc:
        wanted = "UCS-2 (UTF-16BE)" if unicode else "ASCII"
        raise InvalidRequest(f"a hexBody must be {wanted} text", field="hexBody") from exc


def _udh(value: Any) -> bytes | None:
    """The client's own User Data Header, passed on as given (Agile's own example header
    does not match its length octet, so the octets are not checked further)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _HEX.match(value) or len(value) > 2 * UDH_MAX:
        raise InvalidRequest("udhData must be hexadecimal octets", field="udhData")
    return bytes.fromhex(value)


def _scheduling(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        for layout in _SCHEDULE_FORMATS:
            try:
                return datetime.strptime(value, layout).timestamp()
            except ValueError:
                continue
    raise InvalidRequest(
        "scheduling must look like 2022-05-09 09:00:00.002+0200", field="scheduling"
    )


# --- rendering ------------------------------------------------------------------------


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
