"""Reading SMS Partner requests: parameters from anywhere, and the send request.

SMS Partner's own sample clients send a JSON body with no Content-Type, or with a form
Content-Type, and numbers as strings; parameters may also be in the query. `read_params`
accepts all of it (the body wins over the query); `submit_commands` builds SubmitCommands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import Any, Final
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import msgspec
from starlette.requests import Request

from smsgate.api.body import NESTED_TOO_DEEP, is_multipart, read_body, read_multipart
from smsgate.api.compat.smspartner.render import FORMATS, JSON
from smsgate.api.compat.smspartner.tables import MalformedBody, MissingParameter
from smsgate.core.errors import InvalidRequest
from smsgate.core.money import parse_amount
from smsgate.services.submit import SubmitCommand
from smsgate.text import Encoding

MAX_NUMBERS: Final = 500
TAG_MAX: Final = 20
DEFAULT_SENDER: Final = "SMS"
# SMS Partner appends this to marketing texts when isStopSms=1.
STOP_NOTICE: Final = "\nSTOP au 36180"
# Schedules are given in French local time, as SMS Partner reads them.
PARIS: Final = ZoneInfo("Europe/Paris")

_decode_json = msgspec.json.Decoder(float_hook=Decimal).decode
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_MARKUP: Final = ((":br:", "\n"), (":euro:", "€"))


@dataclass(frozen=True, slots=True)
class Params:
    """Every parameter of one request, by name; values as the client sent them."""

    values: Mapping[str, Any]
    fmt: str

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        """The parameter as text, None when absent or empty; JSON numbers become digits."""
        value = self.values.get(name)
        if value is None or isinstance(value, bool | list | dict):
            return None if value is None else str(value).lower()
        text = str(value).strip()
        return text or None

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise MissingParameter(f"{name} is required", field=name)
        return value

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        return value is not None and str(value).strip().lower() in _TRUE

    def nested(self, name: str) -> Params:
        """An object parameter: a JSON object, or form keys written `name[key]`."""
        value = self.values.get(name)
        if isinstance(value, dict):
            return Params(value, self.fmt)
        prefix = f"{name}["
        found = {
            key[len(prefix) : -1]: item
            for key, item in self.values.items()
            if key.startswith(prefix) and key.endswith("]")
        }
        return Params(found, self.fmt)

    def items(self, name: str) -> list[Params]:
        """A list-of-objects parameter (SMSList, SMSStatus_List)."""
        value = self.values.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise InvalidRequest(f"{name} must be a list of objects", field=name)
        return [Params(v, self.fmt) for v in value]

    def amount(self, name: str) -> int:
        """Money in currency units, "10", 10 or 10.5 alike, as micro-units."""
        value = self.values.get(name)
        if value is None or value == "":
            raise MissingParameter(f"{name} is required", field=name)
        if isinstance(value, Decimal):
            value = str(value)
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise InvalidRequest(f"{name} must be a number", field=name)
        return parse_amount(value, field=name)


async def read_params(request: Request, max_bytes: int) -> Params:
    """Query and body parameters together; the body's win when a name is in both."""
    values: dict[str, Any] = dict(request.query_params)
    if is_multipart(request):
        try:
            values.update(await read_multipart(request, max_bytes))
        except InvalidRequest as exc:
            raise MalformedBody(exc.message) from exc
    else:
        values.update(_body_values(await read_body(request, max_bytes)))
    fmt = str(values.get("_format") or JSON).strip().lower()
    return Params(values, fmt if fmt in FORMATS else JSON)


def _body_values(body: bytes) -> dict[str, Any]:
    stripped = body.strip()
    if not stripped:
        return {}
    # Whatever the Content-Type says: the samples post JSON as a form, or as nothing.
    if stripped[:1] in (b"{", b"["):
        try:
            decoded = _decode_json(stripped)
        except msgspec.DecodeError as exc:
            raise MalformedBody(f"malformed JSON: {exc}") from exc
        except RecursionError as exc:
            raise MalformedBody(NESTED_TOO_DEEP) from exc
        if not isinstance(decoded, dict):
            raise MalformedBody("the JSON body must be an object")
        return decoded
    try:
        return dict(parse_qsl(stripped.decode(), keep_blank_values=True, strict_parsing=True))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedBody("the body is neither JSON nor a form") from exc


def page_number(params: Params) -> int:
    """`page`: a positive number; anything else is the first page."""
    raw = params.text("page") or "1"
    if raw.isascii() and raw.isdigit() and len(raw) <= 9:
        return max(int(raw), 1)
    return 1


def split_numbers(raw: str) -> list[str]:
    numbers = [n.strip() for n in raw.split(",") if n.strip()]
    if len(numbers) > MAX_NUMBERS:
        raise InvalidRequest(f"at most {MAX_NUMBERS} numbers", field="phoneNumbers")
    return numbers


def message_text(raw: str, stop_notice: bool) -> str:
    for markup, char in _MARKUP:
        raw = raw.replace(markup, char)
    return raw + STOP_NOTICE if stop_notice else raw


def schedule(params: Params) -> float | None:
    """scheduledDeliveryDate (dd/MM/yyyy), time (0-24) and minute (0-55, by 5) -> epoch."""
    day = params.text("scheduledDeliveryDate")
    hour = params.text("time")
    minute = params.text("minute")
    if day is None and hour is None and minute is None:
        return None
    day = params.required("scheduledDeliveryDate")
    hour = params.required("time")
    minute = params.required("minute")
    try:
        date = datetime.strptime(day, "%d/%m/%Y").date()
    except ValueError as exc:
        raise InvalidRequest(
            "scheduledDeliveryDate must be dd/MM/yyyy", field="scheduledDeliveryDate"
        ) from exc
    if not (hour.isdigit() and int(hour) <= 24):
        raise InvalidRequest("time must be 0-24", field="time")
    if not (minute.isdigit() and int(minute) <= 55 and int(minute) % 5 == 0):
        raise InvalidRequest("minute must be 0-55 in steps of 5", field="minute")
    hours = int(hour)
    at = datetime.combine(date, time(hours % 24, int(minute)), PARIS)
    return at.timestamp() + (86_400 if hours == 24 else 0)


def check_tag(tag: str | None) -> str | None:
    if tag is not None and (len(tag) > TAG_MAX or not tag.isascii() or " " in tag):
        raise InvalidRequest(f"tag is at most {TAG_MAX} characters, no spaces", field="tag")
    return tag


def submit_commands(params: Params) -> list[SubmitCommand]:
    """One command for a `phoneNumbers` send; one per item for an `SMSList` send."""
    unicode = params.flag("isUnicode")
    sender = params.text("sender") or DEFAULT_SENDER
    callback_url = params.text("urlDlr")
    reply_url = params.text("urlResponse")
    scheduled_at = schedule(params)
    tag = check_tag(params.text("tag"))
    stop_notice = params.flag("isStopSms")

    def command(to: tuple[str, ...], text: str) -> SubmitCommand:
        return SubmitCommand(
            to=to,
            sender=sender,
            text=message_text(text, stop_notice),
            encoding=Encoding.UCS2 if unicode else Encoding.AUTO,
            # Without isUnicode, SMS Partner replaces what GSM 03.38 lacks (é -> e ...).
            transliterate=not unicode,
            callback_url=callback_url,
            reply_url=reply_url,
            scheduled_at=scheduled_at,
            tag=tag,
        )

    listed = params.items("SMSList")
    if listed:
        if len(listed) > MAX_NUMBERS:
            raise InvalidRequest(f"at most {MAX_NUMBERS} numbers", field="phoneNumbers")
        return [
            command((item.required("phoneNumber"),), item.required("message")) for item in listed
        ]
    numbers = split_numbers(params.required("phoneNumbers"))
    return [command(tuple(numbers), params.required("message"))]


def status_items(params: Params) -> Sequence[Params]:
    items = params.items("SMSStatus_List")
    if not items:
        raise MissingParameter("SMSStatus_List is required", field="SMSStatus_List")
    if len(items) > MAX_NUMBERS:
        raise InvalidRequest(f"at most {MAX_NUMBERS} items", field="SMSStatus_List")
    return items
