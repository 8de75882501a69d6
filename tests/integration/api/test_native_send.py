"""POST /api/v1/messages and /api/v1/quote: accepted, replayed, and every refusal.

A refused request must store nothing and move no money: each error case compares a
snapshot of messages, ledger entries and balances taken before and after.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from smsgate.services.ports import Store
from tests.integration.api.conftest import Gateway, make_gateway

TO = "+393331234567"
SEND = "/api/v1/messages"


def body(**fields: Any) -> dict[str, Any]:
    return {"to": TO, "from": "Shop", "text": "hello", **fields}


async def test_send_one(gw: Gateway) -> None:
    response = await gw.http.post(SEND, json=body(), headers=gw.auth())
    assert response.status_code == 202
    data = response.json()
    assert set(data) == {"batch_id", "cost", "currency", "messages"}
    assert (data["cost"], data["currency"]) == ("0.05", "EUR")
    [message] = data["messages"]
    assert set(message) == {"id", "to", "parts", "cost", "status"}
    assert (message["to"], message["parts"], message["cost"], message["status"]) == (
        TO,
        1,
        "0.05",
        "queued",
    )
    assert await gw.balance() == 10_000_000 - 50_000
    assert [m.id for m in await gw.messages()] == [message["id"]]


async def test_send_bulk_long_text_and_national_numbers(gw: Gateway) -> None:
    recipients = [TO, "3331234568", "0039 333 1234569"]
    response = await gw.http.post(SEND, json=body(to=recipients, text="x" * 200), headers=gw.auth())
    assert response.status_code == 202
    data = response.json()
    assert [m["to"] for m in data["messages"]] == [TO, "+393331234568", "+393331234569"]
    assert [m["parts"] for m in data["messages"]] == [2, 2, 2]
    assert data["cost"] == "0.30"
    assert await gw.balance() == 10_000_000 - 300_000


async def test_send_scheduled_in_both_time_forms(gw: Gateway) -> None:
    later = time.time() + 3600
    iso = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(later))
    for when in (iso, later):
        response = await gw.http.post(SEND, json=body(scheduled_at=when), headers=gw.auth())
        assert response.status_code == 202
        assert response.json()["messages"][0]["status"] == "scheduled"


async def test_options_are_accepted(gw: Gateway) -> None:
    options = body(
        text="Crème brûlée",
        encoding="ucs2",
        transliterate=False,
        validity=3600,
        reference="order-1",
        callback_url="https://example.com/hook",
    )
    response = await gw.http.post(SEND, json=options, headers=gw.auth())
    assert response.status_code == 202
    stored = (await gw.messages())[0]
    assert (stored.encoding, stored.reference, stored.callback_url) == (
        "ucs2",
        "order-1",
        "https://example.com/hook",
    )


async def test_reference_replays_the_original_and_charges_once(gw: Gateway) -> None:
    first = await gw.http.post(SEND, json=body(reference="r-42"), headers=gw.auth())
    again = await gw.http.post(SEND, json=body(reference="r-42"), headers=gw.auth())
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == first.json()
    assert await gw.balance() == 10_000_000 - 50_000
    assert len(await gw.messages()) == 1


async def test_quote_prices_and_stores_nothing(gw: Gateway) -> None:
    before = await gw.snapshot()
    response = await gw.http.post(
        "/api/v1/quote", json=body(to=[TO, "+393331234568"], text="ciao €"), headers=gw.auth()
    )
    assert response.status_code == 200
    assert response.json() == {
        "encoding": "gsm7",
        "parts": 1,
        "cost": "0.10",
        "currency": "EUR",
        "messages": [
            {"to": TO, "parts": 1, "cost": "0.05"},
            {"to": "+393331234568", "parts": 1, "cost": "0.05"},
        ],
    }
    assert await gw.snapshot() == before


REFUSED: list[tuple[str, bytes | dict[str, Any], int, str, str | None]] = [
    ("malformed json", b'{"to": "+39', 400, "invalid_request", None),
    ("not an object", b"[1, 2]", 400, "invalid_request", None),
    ("empty body", b"", 400, "invalid_request", None),
    ("wrong type", body(to=5), 400, "invalid_request", "to"),
    ("wrong item type", body(to=[TO, 7]), 400, "invalid_request", "to[1]"),
    ("unknown field", body(priority="high"), 400, "invalid_request", "priority"),
    ("missing text", {"to": TO, "from": "Shop"}, 400, "invalid_request", "text"),
    (
        "huge number",
        b'{"to":"1","from":"x","text":"y","validity":1e400}',
        400,
        "invalid_request",
        "validity",
    ),
    ("float validity", body(validity=60.5), 400, "invalid_request", "validity"),
    ("string validity", body(validity="3600"), 400, "invalid_request", "validity"),
    ("validity range", body(validity=5), 400, "invalid_request", "validity"),
    ("bool as string", body(transliterate="yes"), 400, "invalid_request", "transliterate"),
    ("binary encoding", body(encoding="binary"), 400, "invalid_request", "encoding"),
    (
        "naive time",
        body(scheduled_at="2030-01-01T10:00:00"),
        400,
        "invalid_request",
        "scheduled_at",
    ),
    ("bad time", body(scheduled_at="tomorrow"), 400, "invalid_request", "scheduled_at"),
    (
        "far future",
        body(scheduled_at=time.time() + 400 * 86400),
        400,
        "invalid_request",
        "scheduled_at",
    ),
    ("no recipients", body(to=[]), 400, "invalid_request", "to"),
    ("too many", body(to=[TO] * 1001), 400, "invalid_request", "to"),
    ("bad callback", body(callback_url="ftp://x"), 400, "invalid_request", "callback_url"),
    ("long reference", body(reference="r" * 65), 400, "invalid_request", "reference"),
    (
        "long callback",
        body(callback_url="https://example.com/" + "a" * 2029),
        400,
        "invalid_request",
        "callback_url",
    ),
    ("bad recipient", body(to=[TO, "12"]), 400, "invalid_recipient", "to"),
    ("bad sender", body(**{"from": "A very long sender"}), 400, "invalid_sender", "from"),
    ("empty text", body(text=""), 400, "empty_text", "text"),
    ("text too long", body(text="x" * 5000), 400, "text_too_long", "text"),
    ("unencodable", body(text="€uro ☃", encoding="gsm7"), 400, "invalid_request", "text"),
]


@pytest.mark.parametrize(("path"), [SEND, "/api/v1/quote"])
@pytest.mark.parametrize(
    ("case", "payload", "status", "code", "field"), REFUSED, ids=[c[0] for c in REFUSED]
)
async def test_refused_requests_change_nothing(
    gw: Gateway,
    path: str,
    case: str,
    payload: bytes | dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    before = await gw.snapshot()
    response = await gw.http.post(path, content=content, headers=gw.auth())
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error.get("field")) == (code, field)
    assert error["message"]
    assert await gw.snapshot() == before


async def test_insufficient_credit_is_all_or_nothing(gw: Gateway) -> None:
    poor, key = await gw.new_account("poor", credit="0.10")
    before = await gw.snapshot()
    response = await gw.http.post(
        SEND, json=body(to=[TO, "+393331234568", "+393331234569"]), headers=gw.auth(key)
    )
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_credit"
    assert await gw.snapshot() == before
    assert await gw.balance(poor) == 100_000
    affordable = await gw.http.post(SEND, json=body(to=[TO, "+393331234568"]), headers=gw.auth(key))
    assert affordable.status_code == 202
    assert await gw.balance(poor) == 0


async def test_body_over_the_limit_is_refused(gw: Gateway) -> None:
    before = await gw.snapshot()
    huge = json.dumps(body(text="x" * 1_100_000)).encode()
    declared = await gw.http.post(SEND, content=huge, headers=gw.auth())

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(300):
            yield b" " * 4096  # JSON allows leading whitespace; the limit still counts it

    streamed = await gw.http.post(SEND, content=chunks(), headers=gw.auth())
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"
    assert "content-length" not in streamed.request.headers
    assert await gw.snapshot() == before


async def test_no_price_for_the_destination(store: Store) -> None:
    gateway = await make_gateway(store, default_price=None)
    async with gateway.http:
        await gateway.accounts.set_price(None, "44", 40_000)
        before = await gateway.snapshot()
        response = await gateway.http.post(SEND, json=body(), headers=gateway.auth())
        assert response.status_code == 400
        assert response.json()["error"] == {
            "code": "no_price",
            "message": f"no price for destination {TO}",
            "field": "to",
        }
        assert await gateway.snapshot() == before
        uk = await gateway.http.post(SEND, json=body(to="+447700900123"), headers=gateway.auth())
        assert uk.status_code == 202
        assert uk.json()["cost"] == "0.04"
