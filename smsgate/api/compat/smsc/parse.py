"""SMSC's request parameters: query string and form body in the request's charset,
and the parameter forms its endpoints share (times, periods, amounts, recipients).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

from starlette.requests import Request

from smsgate.api.body import is_multipart, read_body, read_multipart
from smsgate.api.compat.smsc.render import MOSCOW, Fmt
from smsgate.api.compat.smsc.tables import (
    DEFAULT_ANSWER_HOURS,
    DEFAULT_ANSWERS,
    MAX_ANSWER_HOURS,
    MAX_ANSWERS,
    WrongDate,
)
from smsgate.core.errors import InvalidRequest
from smsgate.core.money import parse_amount
from smsgate.services.inbound_numbers import normalise_number

CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "windows-1251": "cp1251", "koi8-r": "koi8_r"}
# SMSC reads parameters as windows-1251 unless `charset` says otherwise.
DEFAULT_CHARSET = "windows-1251"


class Params:
    """The request's parameters (query string and form body), decoded in its charset."""

    def __init__(self, values: dict[str, str], charset: str) -> None:
        self.values = values
        self.charset = charset

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default).strip()

    def flag(self, name: str) -> bool:
        return self.get(name) not in ("", "0")

    def number(self, name: str, low: int, high: int, default: int) -> int:
        raw = self.get(name)
        if not raw:
            return default
        value = int(raw) if is_decimal(raw.removeprefix("-")) else low - 1
        if not low <= value <= high:
            raise InvalidRequest(f"{name} must be {low}-{high}", field=name)
        return value

    @property
    def fmt(self) -> Fmt:
        raw = self.get("fmt")
        return Fmt(int(raw)) if raw in ("0", "1", "2", "3") else Fmt.TEXT


def is_decimal(raw: str) -> bool:
    """ASCII digits that fit a 64-bit integer ("²" and "١" are digits to str.isdigit)."""
    return raw.isascii() and raw.isdigit() and len(raw) <= 18


async def read_params(request: Request, max_bytes: int) -> Params:
    """Query string and body parameters (the body wins), decoded in `charset`."""
    query = request.scope.get("query_string", b"")
    if request.method == "POST" and is_multipart(request):
        # Multipart fields are decoded as UTF-8 (or the charset of their part).
        fields = await read_multipart(request, max_bytes)
        values = dict(parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True))
        values.update(fields)
        return Params(values, "utf-8")
    body = await read_body(request, max_bytes) if request.method == "POST" else b""
    blobs = [query, body]
    # The charset names itself in ASCII, so any single-byte reading finds it.
    peek: dict[str, str] = {}
    for blob in blobs:
        peek.update(parse_qsl(blob.decode("latin-1"), keep_blank_values=True))
    label = peek.get("charset", "").strip().lower() or DEFAULT_CHARSET
    if label not in CHARSETS:
        raise InvalidRequest(f"unsupported charset {label!r}", field="charset")
    charset = CHARSETS[label]
    values = {}
    for blob in blobs:
        text = blob.decode("ascii", "replace")
        values.update(parse_qsl(text, keep_blank_values=True, encoding=charset, errors="replace"))
    return Params(values, charset)


# --- parameters shared by the endpoints ----------------------------------------------

_DDMMYY = re.compile(r"^(\d\d)\.?(\d\d)\.?(\d\d)\s*(\d\d):?(\d\d)$")


def parse_time(raw: str, now: float, tz_hours: int) -> float | None:
    """`time`: DDMMYYhhmm or DD.MM.YY hh:mm (Moscow time + tz), 0<timestamp>, +<minutes>."""
    if not raw:
        return None
    if raw.startswith("+") and is_decimal(raw[1:]):
        return now + int(raw[1:]) * 60
    if raw.startswith("0") and is_decimal(raw) and len(raw) > 8:
        return float(int(raw))
    found = _DDMMYY.match(raw)
    if found is None:
        raise WrongDate(f"unsupported time {raw!r}", field="time")
    day, month, year, hour, minute = (int(g) for g in found.groups())
    zone = timezone(MOSCOW.utcoffset(None) + timedelta(hours=tz_hours))
    try:
        return datetime(2000 + year, month, day, hour, minute, tzinfo=zone).timestamp()
    except ValueError as exc:
        raise WrongDate(f"invalid time {raw!r}", field="time") from exc


def parse_validity(raw: str) -> int | None:
    """`valid`: hh:mm, or whole hours."""
    if not raw:
        return None
    hours, colon, minutes = raw.partition(":")
    if not is_decimal(hours) or (colon and not is_decimal(minutes)):
        raise InvalidRequest("valid must be hh:mm", field="valid")
    return int(hours) * 3600 + (int(minutes) * 60 if colon else 0)


def parse_day(raw: str, field: str) -> float:
    """dd.mm.yyyy -> midnight Moscow time."""
    try:
        return datetime.strptime(raw, "%d.%m.%Y").replace(tzinfo=MOSCOW).timestamp()
    except ValueError as exc:
        raise InvalidRequest(f"{field} must be dd.mm.yyyy", field=field) from exc


def period(params: Params, now: float) -> tuple[float, float]:
    """`start` and `end` (both dd.mm.yyyy, end inclusive); default: today."""
    today = datetime.fromtimestamp(now, MOSCOW).strftime("%d.%m.%Y")
    start = parse_day(params.get("start") or today, "start")
    end = parse_day(params.get("end") or params.get("start") or today, "end") + 86_400
    if end <= start:
        raise InvalidRequest("end is before start", field="end")
    return start, end


def amount(raw: str, field: str) -> int:
    if not raw:
        raise InvalidRequest(f"{field} is required", field=field)
    return parse_amount(raw, field=field)


def recipients(p: Params) -> list[tuple[tuple[str, ...], str]]:
    """(phones, text) per distinct text: `phones` + `mes`, or `list` lines phone:text."""
    listed = p.get("list")
    if listed:
        lines: list[tuple[tuple[str, ...], str]] = []
        for line in listed.splitlines():
            phone, colon, text = line.partition(":")
            if not colon or not phone.strip() or not text:
                raise InvalidRequest("list lines are phone:text", field="list")
            lines.append(((phone.strip(),), text.replace("\\n", "\n")))
        return lines
    phones = tuple(x for x in re.split(r"[,;\s]+", p.get("phones")) if x)
    if not phones:
        raise InvalidRequest("phones is required", field="phones")
    if not p.get("mes"):
        raise InvalidRequest("mes is required", field="mes")
    return [(phones, p.values["mes"])]


@dataclass(frozen=True, slots=True)
class AnswersQuery:
    """get_answers: at most `cnt` MO with an id above `after_id`, received at or after
    `since`, to `to_phone` when given."""

    after_id: int
    since: float
    cnt: int
    to_phone: str | None


def answers_query(p: Params, now: float) -> AnswersQuery:
    """`after_id`, `hour` (1-168, default 24), `cnt` (1-10000, default 1000), `to_phone`."""
    after_id = p.number("after_id", 0, 10**18 - 1, 0)
    hours = p.number("hour", 1, MAX_ANSWER_HOURS, DEFAULT_ANSWER_HOURS)
    cnt = p.number("cnt", 1, MAX_ANSWERS, DEFAULT_ANSWERS)
    raw = p.get("to_phone")
    to_phone = normalise_number(raw) if raw else None
    if raw and to_phone is None:
        raise InvalidRequest(f"to_phone {raw!r} is not a number", field="to_phone")
    return AnswersQuery(after_id, now - hours * 3600, cnt, to_phone)
