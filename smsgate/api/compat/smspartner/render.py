"""SMS Partner bodies on the wire: JSON, and the positional `<result><entry>` XML.

A body is built once as an ordered dict; JSON keeps its keys, XML keeps only its values
in key order (nested lists and objects become nested `<entry>`, strings are CDATA,
numbers and booleans bare), as SMS Partner's serializer writes them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from smsgate.api.compat.smspartner.tables import (
    FIELD_NAMES,
    HTTP_STATUS,
    VALIDATION,
    VALIDATION_FAMILIES,
    Family,
    message_for,
    sp_code,
)
from smsgate.api.errors import retry_after
from smsgate.core.errors import SmsgateError
from smsgate.core.money import format_amount

logger = logging.getLogger(__name__)

Value = str | int | bool | Decimal | None | Sequence["Value"] | Mapping[str, "Value"]
Body = dict[str, Value]

JSON: Final = "json"
XML: Final = "xml"
FORMATS: Final = frozenset({JSON, XML})

_encode_json = msgspec.json.Encoder(decimal_format="number").encode
_XML_HEAD: Final = "<?xml version='1.0' encoding='UTF-8'?>\n"


def amount(micros: int) -> Decimal:
    """Micro-units as the JSON number SMS Partner shows (2869.2, 0.045): exact, no float."""
    return Decimal(format_amount(micros, min_decimals=0))


def to_json(body: Body) -> bytes:
    return _encode_json(body)


def to_xml(body: Body) -> bytes:
    lines = [_XML_HEAD.rstrip("\n"), "<result>"]
    for value in body.values():
        _entry(value, 1, lines)
    lines.append("</result>")
    return ("\n".join(lines) + "\n").encode()


def _entry(value: Value, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    if value is None:
        lines.append(f"{pad}<entry/>")
    elif isinstance(value, bool):
        lines.append(f"{pad}<entry>{'true' if value else 'false'}</entry>")
    elif isinstance(value, int | Decimal):
        lines.append(f"{pad}<entry>{value}</entry>")
    elif isinstance(value, str):
        lines.append(f"{pad}<entry><![CDATA[{_cdata(value)}]]></entry>")
    else:
        items = value.values() if isinstance(value, Mapping) else value
        lines.append(f"{pad}<entry>")
        for item in items:
            _entry(item, depth + 1, lines)
        lines.append(f"{pad}</entry>")


def _cdata(text: str) -> str:
    # "]]>" would end the section early: split it across two sections.
    return text.replace("]]>", "]]]]><![CDATA[>")


def render(body: Body, fmt: str, status: int = 200) -> Response:
    if fmt == XML:
        return Response(to_xml(body), status, media_type="application/xml")
    return Response(to_json(body), status, media_type="application/json")


def success(**fields: Value) -> Body:
    return {"success": True, "code": 200, **fields}


def error_body(error: SmsgateError, family: Family) -> tuple[Body, int]:
    """The SMS Partner error body for `error` and the HTTP status to send it with."""
    code = sp_code(error, family)
    status = HTTP_STATUS.get(code, 200)
    body: Body = {"success": False, "code": code}
    if code == VALIDATION and family.value in VALIDATION_FAMILIES:
        field = FIELD_NAMES.get(error.field or "", error.field)
        element = f"children[{field}].data" if field else "children"
        body["errors"] = [{"elementId": element, "message": error.message}]
    else:
        body["message"] = message_for(error)
    return body, status


def render_error(error: SmsgateError, family: Family, fmt: str) -> Response:
    body, status = error_body(error, family)
    response = render(body, fmt, status)
    response.headers.update(retry_after(error) or {})
    return response


def error_reply(request: Request, exc: Exception, family: Family, fmt: str) -> Response:
    """An error in the body of `family`; anything unexpected is logged and answered as
    an internal error."""
    if not isinstance(exc, SmsgateError):
        logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        exc = SmsgateError("internal error")
    return render_error(exc, family, fmt)
