"""Reading messages: one, a page at a time, with part statuses; and cancelling."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest

from tests.integration.api.conftest import Gateway

TO = "+393331234567"


async def send(gw: Gateway, key: str | None = None, **fields: Any) -> dict[str, Any]:
    payload = {"to": TO, "from": "Shop", "text": "hello", **fields}
    response = await gw.http.post("/api/v1/messages", json=payload, headers=gw.auth(key))
    assert response.status_code == 202, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_get_message(gw: Gateway) -> None:
    sent = await send(gw, reference="ref-1", text="x" * 170)
    message_id = sent["messages"][0]["id"]
    response = await gw.http.get(f"/api/v1/messages/{message_id}", headers=gw.auth())
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {
        "id", "batch_id", "to", "from", "text", "encoding", "parts", "cost", "currency",
        "status", "error", "reference", "created_at", "scheduled_at", "sent_at", "done_at",
    }  # fmt: skip
    assert data["id"] == message_id
    assert data["batch_id"] == sent["batch_id"]
    assert (data["to"], data["from"], data["encoding"], data["parts"]) == (TO, "Shop", "gsm7", 2)
    assert (data["cost"], data["currency"], data["status"]) == ("0.10", "EUR", "queued")
    assert (data["reference"], data["error"], data["sent_at"], data["done_at"]) == (
        "ref-1",
        None,
        None,
        None,
    )
    assert data["created_at"].endswith("Z")
    assert abs(_epoch(data["created_at"]) - time.time()) < 60


async def test_get_message_with_parts(gw: Gateway) -> None:
    message_id = (await send(gw, text="y" * 170))["messages"][0]["id"]
    response = await gw.http.get(f"/api/v1/messages/{message_id}?parts=1", headers=gw.auth())
    assert response.status_code == 200
    assert response.json()["part_statuses"] == [
        {"seq": 1, "status": "pending", "error": None},
        {"seq": 2, "status": "pending", "error": None},
    ]


async def test_unknown_and_foreign_messages(gw: Gateway) -> None:
    _, bob_key = await gw.new_account("bob")
    bobs = (await send(gw, bob_key))["messages"][0]["id"]
    before = await gw.snapshot()
    missing = await gw.http.get("/api/v1/messages/nope", headers=gw.auth())
    foreign = await gw.http.get(f"/api/v1/messages/{bobs}", headers=gw.auth())
    foreign_cancel = await gw.http.post(f"/api/v1/messages/{bobs}/cancel", headers=gw.auth())
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (403, "forbidden")
    assert (foreign_cancel.status_code, foreign_cancel.json()["error"]["code"]) == (
        403,
        "forbidden",
    )
    assert await gw.snapshot() == before


async def test_list_pages_newest_first(gw: Gateway) -> None:
    ids = [(await send(gw))["messages"][0]["id"] for _ in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        response = await gw.http.get("/api/v1/messages", params=params, headers=gw.auth())
        assert response.status_code == 200
        page = response.json()
        assert set(page) == {"messages", "next_cursor"}
        seen += [m["id"] for m in page["messages"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    assert pages == 3


async def test_list_filters(gw: Gateway) -> None:
    first = await send(gw, to=[TO, "+393331234568"])
    await send(gw, scheduled_at=time.time() + 3600)
    by_batch = await gw.http.get(
        f"/api/v1/messages?batch_id={first['batch_id']}", headers=gw.auth()
    )
    assert {m["id"] for m in by_batch.json()["messages"]} == {m["id"] for m in first["messages"]}
    scheduled = await gw.http.get("/api/v1/messages?status=scheduled", headers=gw.auth())
    assert [m["status"] for m in scheduled.json()["messages"]] == ["scheduled"]
    future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    for since, count in ((future, 0), (str(int(time.time()) - 60), 3)):
        response = await gw.http.get("/api/v1/messages", params={"since": since}, headers=gw.auth())
        assert len(response.json()["messages"]) == count, since


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("status=lost", "status"),
        ("since=yesterday", "since"),
        ("since=2024-01-01T00:00:00", "since"),
        ("since=nan", "since"),
    ],
)
async def test_list_refuses_bad_queries(gw: Gateway, query: str, field: str) -> None:
    response = await gw.http.get(f"/api/v1/messages?{query}", headers=gw.auth())
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert response.json()["error"]["field"] == field


async def test_cancel_a_scheduled_message_refunds_it(gw: Gateway) -> None:
    sent = await send(gw, scheduled_at=time.time() + 3600)
    message_id = sent["messages"][0]["id"]
    assert await gw.balance() == 10_000_000 - 50_000
    response = await gw.http.post(f"/api/v1/messages/{message_id}/cancel", headers=gw.auth())
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["done_at"] is not None
    assert await gw.balance() == 10_000_000
    before = await gw.snapshot()
    again = await gw.http.post(f"/api/v1/messages/{message_id}/cancel", headers=gw.auth())
    assert (again.status_code, again.json()["error"]["code"]) == (409, "conflict")
    assert await gw.snapshot() == before


async def test_cancel_a_queued_message_is_a_conflict(gw: Gateway) -> None:
    message_id = (await send(gw))["messages"][0]["id"]
    before = await gw.snapshot()
    response = await gw.http.post(f"/api/v1/messages/{message_id}/cancel", headers=gw.auth())
    assert (response.status_code, response.json()["error"]["code"]) == (409, "conflict")
    assert await gw.snapshot() == before
    missing = await gw.http.post("/api/v1/messages/nope/cancel", headers=gw.auth())
    assert missing.status_code == 404


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()
