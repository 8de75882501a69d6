"""Reading bodies with a limit and mapping msgspec's failures to fields."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from starlette.requests import Request
from starlette.types import Message

from smsgate.api.body import decode, field_of, read_body
from smsgate.api.errors import PayloadTooLarge
from smsgate.api.native.schemas import SendRequest, send_decoder
from smsgate.core.errors import InvalidRequest


def _request(chunks: Sequence[bytes], headers: dict[str, str] | None = None) -> Request:
    pending = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def receive() -> Message:
        return pending.pop(0)

    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": raw, "query_string": b""}
    return Request(scope, receive)


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ("Expected `str`, got `int` - at `$.to[2]`", "to[2]"),
        ("Object missing required field `from`", "from"),
        ("Object contains unknown field `zz`", "zz"),
        ("Object contains unknown field `zz` - at `$.inner`", "inner.zz"),
        ("Number out of range - at `$.validity`", "validity"),
        ("Expected `object`, got `array`", None),
    ],
)
def test_field_of(message: str, field: str | None) -> None:
    assert field_of(message) == field


def test_decode_names_the_field_and_drops_the_path_from_the_message() -> None:
    with pytest.raises(InvalidRequest) as caught:
        decode(send_decoder, b'{"to": ["+393331234567", 5], "from": "x", "text": "hi"}')
    assert caught.value.field == "to[1]"
    assert caught.value.message == "Expected `str`, got `int`"


def test_decode_malformed_json() -> None:
    with pytest.raises(InvalidRequest) as caught:
        decode(send_decoder, b'{"to": ')
    assert caught.value.field is None
    assert caught.value.message.startswith("malformed JSON")


def test_decode_refuses_a_naive_schedule_time() -> None:
    body = b'{"to": "1", "from": "x", "text": "hi", "scheduled_at": "2030-01-01T00:00:00"}'
    with pytest.raises(InvalidRequest) as caught:
        decode(send_decoder, body)
    assert caught.value.field == "scheduled_at"


def test_command_converts_times_and_recipients() -> None:
    body = b'{"to": "1", "from": "x", "text": "hi", "scheduled_at": "2030-01-01T01:00:00+01:00"}'
    command = decode(send_decoder, body).command()
    assert command.to == ("1",)
    assert command.scheduled_at == 1893456000.0
    epoch = decode(send_decoder, b'{"to": ["1","2"], "from": "x", "text": "hi", "scheduled_at": 5}')
    assert epoch.command().scheduled_at == 5.0
    assert epoch.command().to == ("1", "2")
    assert isinstance(epoch, SendRequest)


async def test_read_body_joins_chunks() -> None:
    assert await read_body(_request([b"ab", b"cd", b""]), 10) == b"abcd"


async def test_read_body_refuses_a_large_declared_length_before_reading() -> None:
    request = _request([b"x"], {"Content-Length": "11"})
    with pytest.raises(PayloadTooLarge):
        await read_body(request, 10)


async def test_read_body_refuses_a_stream_that_outgrows_the_limit() -> None:
    with pytest.raises(PayloadTooLarge):
        await read_body(_request([b"123456", b"789012"]), 10)


async def test_read_body_refuses_a_bad_content_length() -> None:
    with pytest.raises(InvalidRequest):
        await read_body(_request([b"x"], {"Content-Length": "ten"}), 10)


async def test_read_body_reports_a_disconnect_as_a_client_error() -> None:
    async def receive() -> Message:
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""}
    with pytest.raises(InvalidRequest):
        await read_body(Request(scope, receive), 10)
