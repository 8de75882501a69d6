"""Request bodies of every surface: read with a size limit, then decoded; JSON responses.

The limit is checked against Content-Length and again while the body streams in;
multipart forms are parsed only from a body read that way. Decoding failures are
`invalid_request` naming the field; a native body that is not JSON is `unsupported_media_type`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from typing import TypeVar

import msgspec
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from smsgate.api.errors import PayloadTooLarge, UnsupportedMediaType
from smsgate.core.errors import InvalidRequest

T = TypeVar("T")

_encode = msgspec.json.Encoder().encode

# msgspec says where a value failed as "... - at `$.to[2]`" and names missing or
# unknown keys as "field `x`"; both become our `field` ("to[2]", "x").
_AT = re.compile(r" - at `\$\.?([^`]*)`$")
_NAMED = re.compile(r"field `([^`]+)`")

# The most fields a multipart form may have; no dialect has more than a few dozen.
MAX_FORM_FIELDS = 100
# msgspec raises RecursionError (not DecodeError) on JSON nested deeper than ~1,000 levels.
NESTED_TOO_DEEP = "malformed JSON: nested too deeply"


async def read_body(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError as exc:
            raise InvalidRequest("invalid Content-Length header") from exc
        if size > max_bytes:
            raise _too_large(max_bytes)
    chunks: list[bytes] = []
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > max_bytes:
                raise _too_large(max_bytes)
            chunks.append(chunk)
    except ClientDisconnect as exc:
        # Nobody is left to answer; this only keeps it out of the unexpected-error log.
        raise InvalidRequest("client disconnected while sending the body") from exc
    return b"".join(chunks)


async def read_multipart(
    request: Request, max_bytes: int, *, max_fields: int = MAX_FORM_FIELDS
) -> list[tuple[str, str]]:
    """The fields of a multipart/form-data body, in order; the body is read whole with
    `read_body`'s limit before the parser sees it. File parts are refused."""
    body = await read_body(request, max_bytes)

    async def chunks() -> AsyncGenerator[bytes, None]:
        yield body

    parser = MultiPartParser(
        request.headers,
        chunks(),
        max_files=0,
        max_fields=max_fields,
        max_part_size=max_bytes,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise InvalidRequest(f"malformed multipart body: {exc.message}") from exc
    return [(name, value) for name, value in form.multi_items() if isinstance(value, str)]


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


async def decode_body(request: Request, decoder: msgspec.json.Decoder[T], max_bytes: int) -> T:
    """The request body decoded into the decoder's type; 400/413/415 errors otherwise.

    A body without a Content-Type is read as JSON; any other type is refused unread.
    """
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"the body must be JSON (Content-Type: application/json), not {media_type[:64]}"
        )
    return decode(decoder, await read_body(request, max_bytes))


def decode(decoder: msgspec.json.Decoder[T], data: bytes) -> T:
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as exc:
        message = str(exc)
        raise InvalidRequest(_AT.sub("", message), field=field_of(message)) from exc
    except msgspec.DecodeError as exc:
        raise InvalidRequest(f"malformed JSON: {exc}") from exc
    except RecursionError as exc:
        raise InvalidRequest(NESTED_TOO_DEEP) from exc


def field_of(message: str) -> str | None:
    """The field a msgspec error message points at, in our notation, or None."""
    at = _AT.search(message)
    path = at.group(1) if at else ""
    named = _NAMED.search(message)
    if named:
        return f"{path}.{named.group(1)}" if path else named.group(1)
    return path or None


def json_response(body: object, status: int = 200) -> Response:
    return Response(_encode(body), status, media_type="application/json")


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"request body is larger than {max_bytes} bytes")
