"""SMSC's answers in its four formats: fmt=0 text, 1 comma-separated, 2 XML, 3 JSON.

An endpoint builds one `Answer` holding all four renderings; `respond` picks one and
encodes it in the request's charset. The shapes follow the seed page and SMSC's docs.
"""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from xml.sax.saxutils import escape, quoteattr

from starlette.requests import Request
from starlette.responses import Response

from smsgate.api.compat.smsc.tables import (
    NOT_FOUND,
    OPERATION,
    PARAMETERS,
    STATUS_CODE,
    STATUS_ERROR,
    STATUS_NAME,
    description,
    error_number,
)
from smsgate.core.errors import SmsgateError
from smsgate.core.messages import Message
from smsgate.core.money import format_amount
from smsgate.services.inbound import StoredInbound

logger = logging.getLogger(__name__)

# SMSC shows dates in Moscow time unless told otherwise.
MOSCOW = timezone(timedelta(hours=3))

Value = str | int
Fields = Sequence[tuple[str, Value]]


class Fmt(enum.IntEnum):
    TEXT = 0
    CSV = 1
    XML = 2
    JSON = 3


LABELS = {"cp1251": "windows-1251", "koi8_r": "koi8-r", "utf-8": "utf-8"}

_MEDIA = {
    Fmt.TEXT: "text/plain",
    Fmt.CSV: "text/plain",
    Fmt.XML: "application/xml",
    Fmt.JSON: "application/json",
}


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    csv: str
    xml: str
    json: object

    def pick(self, fmt: Fmt) -> str:
        if fmt is Fmt.JSON:
            return json.dumps(self.json, ensure_ascii=False, separators=(",", ":"))
        return (self.text, self.csv, self.xml)[fmt]


def respond(answer: Answer, fmt: Fmt, charset: str) -> Response:
    body = answer.pick(fmt)
    if fmt is Fmt.JSON and charset != "utf-8":
        body = json.dumps(answer.json, ensure_ascii=True, separators=(",", ":"))
    errors = "xmlcharrefreplace" if fmt is Fmt.XML else "replace"
    return Response(
        body.encode(charset, errors), media_type=f"{_MEDIA[fmt]}; charset={LABELS[charset]}"
    )


def element(tag: str, content: str | Iterable[str], **attrs: str) -> str:
    """<tag attr="...">content</tag>; a str is text (escaped), an iterable holds elements."""
    inner = escape(content) if isinstance(content, str) else "".join(content)
    attributes = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{tag}{attributes}>{inner}</{tag}>"


def fields_xml(fields: Fields) -> list[str]:
    return [element(k, str(v)) for k, v in fields]


def fields_text(fields: Fields) -> str:
    return ", ".join(f"{k} = {v}" for k, v in fields)


def fields_csv(fields: Fields) -> str:
    return ",".join(str(v) for _, v in fields)


def record(fields: Fields, *, root: str = "result") -> Answer:
    """One record of named fields: `k = v, ...` / `v,...` / <root><k>v</k></root> / {k: v}."""
    return Answer(
        fields_text(fields), fields_csv(fields), element(root, fields_xml(fields)), dict(fields)
    )


def records(rows: Sequence[Fields], *, item: str) -> Answer:
    """Many records: one line each, <list><item>..</item></list>, a JSON array."""
    return Answer(
        "\n".join(fields_text(row) for row in rows),
        "\n".join(fields_csv(row) for row in rows),
        element("list", (element(item, fields_xml(row)) for row in rows)),
        [dict(row) for row in rows],
    )


def ok() -> Answer:
    return Answer("OK", "OK", element("result", "OK"), {"result": "OK"})


def created(new_id: int) -> Answer:
    return Answer(
        f"ID = {new_id}", str(new_id), element("user", [element("id", str(new_id))]), {"id": new_id}
    )


def error(number: int, *, send: bool = False, message_id: Value | None = None) -> Answer:
    """The error envelope; send.php echoes the client's message id."""
    text = description(number, send=send)
    body: dict[str, object] = {"error": text, "error_code": number}
    if message_id is not None:
        body["id"] = message_id
    return Answer(
        f"ERROR = {number} ({text})",
        f"{message_id if message_id is not None else 0},-{number}",
        element("result", [element("error", text), element("error_code", str(number))]),
        body,
    )


def error_reply(
    request: Request, exc: Exception, *, send: bool, message_id: Value | None
) -> Answer:
    """An error as its number from the table; anything unexpected is logged and
    answered as a failed operation."""
    if isinstance(exc, SmsgateError):
        return error(error_number(exc, send=send), send=send, message_id=message_id)
    logger.error("unexpected error on %s", request.url.path, exc_info=exc)
    return error(OPERATION, send=send, message_id=message_id)


def unreadable(*, send: bool) -> Response:
    """The answer to parameters that cannot be read at all: plain text, UTF-8."""
    return respond(error(PARAMETERS, send=send), Fmt.TEXT, "utf-8")


def digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


def moscow_date(at: float) -> str:
    return datetime.fromtimestamp(at, MOSCOW).strftime("%d.%m.%Y %H:%M:%S")


def utc_date(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%d.%m.%Y %H:%M:%S")


def answers(found: Sequence[StoredInbound]) -> Answer:
    """get_answers: one record per MO, `<list><answer>..</answer></list>` in XML. `sent`,
    the time of the message an MO answers, is not known and is left empty."""
    rows = [
        (
            ("id", mo.id),
            ("received", moscow_date(mo.received_at)),
            ("phone", digits(mo.source)),
            ("message", mo.text),
            ("to_phone", digits(mo.destination)),
            ("sent", ""),
        )
        for mo in found
    ]
    return records(rows, item="answer")


# status.php fmt=1 and fmt=0 show these fields, in this order, of status_fields.
_STATUS_TAIL = ("phone", "cost", "sender_id", "status_name", "message", "country", "operator")
_STATUS_CSV = ("status", "last_timestamp", "err", "send_timestamp", *_STATUS_TAIL, "region")
_STATUS_TEXT = ("err", "send_date", *_STATUS_TAIL, "region")


def status_answer(rows: Sequence[Fields], keys: Sequence[Fields] | None) -> Answer:
    """status.php: one record, or (with `keys`: the id and phone of each) many.

    fmt=1 is status,last_timestamp,err[,send_timestamp,phone,cost,sender_id,
    status_name,message[,country,operator,region]] (then id,phone when many);
    fmt=0 is `Status = N, check_time = date[, err = N, ...]`."""
    csv, text = [], []
    for n, row in enumerate(rows):
        named = dict(row)
        extra = list(keys[n]) if keys is not None else []
        csv.append(
            ",".join(str(named[k]) for k in _STATUS_CSV if k in named)
            + "".join(f",{v}" for _, v in extra)
        )
        shown = [("Status", named["status"]), ("check_time", named["last_date"])]
        shown += [(k, named[k]) for k in _STATUS_TEXT if k in named and (k != "err" or named[k])]
        text.append(fields_text(shown + extra))
    if keys is None:
        (row,) = rows
        return Answer(text[0], csv[0], element("result", fields_xml(row)), dict(row))
    full = [(*k, *row) for k, row in zip(keys, rows, strict=True)]
    listed = records(full, item="message")
    return replace(listed, text="\n".join(text), csv="\n".join(csv))


def status_fields(message: Message | None, full: int) -> Fields:
    """One message's status record, all fields named; `full` is the `all` parameter."""
    if message is None:
        return (("status", NOT_FOUND), ("last_date", ""), ("last_timestamp", 0), ("err", 0))
    code = STATUS_CODE[message.status]
    last = message.done_at or message.sent_at or message.created_at
    fields: list[tuple[str, Value]] = [
        ("status", code),
        ("last_date", moscow_date(last)),
        ("last_timestamp", int(last)),
        ("err", STATUS_ERROR.get(message.status, 0)),
    ]
    if full:
        fields += [
            ("send_date", moscow_date(message.created_at)),
            ("send_timestamp", int(message.created_at)),
            ("phone", digits(message.to)),
            ("cost", format_amount(message.cost)),
            ("sender_id", message.sender),
            ("status_name", STATUS_NAME[code]),
            ("message", message.text),
        ]
    if full == 2:
        fields += [("country", ""), ("operator", ""), ("region", "")]
    return fields


# --- users.php / get.php statistics, exactly as on the seed page ----------------------


@dataclass(frozen=True, slots=True)
class StatLine:
    login: str
    sms: int
    credit: str
    debit: str
    currency: str
    answers: int  # MO received (smsgate's field: SMSC's statistics have none)


@dataclass(frozen=True, slots=True)
class StatItem:
    description: str
    operator: str
    mccmnc: str
    sms: int
    credit: str
    debit: str
    currency: str


def stat(lines: Sequence[StatLine]) -> Answer:
    rows = [
        (
            ("login", s.login),
            ("sms", s.sms),
            ("credit", s.credit),
            ("debit", s.debit),
            ("currency", s.currency),
            ("answers", s.answers),
        )
        for s in lines
    ]
    return Answer(
        "\n".join(fields_text(r) for r in rows),
        "\n".join(fields_csv(r) for r in rows),
        element("list", (element("stat", fields_xml(r)) for r in rows)),
        [{k: str(v) for k, v in r} for r in rows],
    )


def _item_fields(i: StatItem) -> Fields:
    return (
        ("description", i.description),
        ("operator", i.operator),
        ("mccmnc", i.mccmnc),
        ("sms", i.sms),
        ("credit", i.credit),
        ("debit", i.debit),
        ("currency", i.currency),
    )


def stat_all(users: Sequence[tuple[str, Sequence[StatItem]]]) -> Answer:
    text = [
        fields_text((("login", login), *_item_fields(i))) for login, items in users for i in items
    ]
    csv = [
        fields_csv((("login", login), *_item_fields(i))) for login, items in users for i in items
    ]
    xml = element(
        "list",
        (
            element(
                "user", (element("item", fields_xml(_item_fields(i))) for i in items), login=login
            )
            for login, items in users
        ),
    )
    body = [
        {"login": login, "items": [{k: str(v) for k, v in _item_fields(i)} for i in items]}
        for login, items in users
    ]
    return Answer("\n".join(text), "\n".join(csv), xml, body)
