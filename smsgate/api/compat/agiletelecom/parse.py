"""Agile Telecom request parsing: a /services/sms/send body into typed entries.

Pure functions over decoded JSON; an error of the tree carries a field the table knows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from smsgate.core.errors import InvalidRequest

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
