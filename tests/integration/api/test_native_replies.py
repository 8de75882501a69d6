"""Replies and conversations over the native API of the real gateway on SQLite and
PostgreSQL: a reply to an MO is a send from the number it came in on to its sender,
priced, charged and refused as any send; a conversation merges the MT to a number and
the MO from it, and shows only the caller's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from smsgate.core.ledger import EntryKind
from tests.integration.gateway import http_client, open_gateway

pytestmark = pytest.mark.timeout(60)

PRICE = 50_000  # 0.05 per part
CREDIT = 10_000_000
PEER = "+393339999999"


@pytest.fixture
async def gateway(tmp_path: Path, database_url: str) -> AsyncIterator[Gateway]:
    settings: dict[str, Any] = {"database_url": database_url} if database_url else {}
    async with open_gateway(tmp_path, **settings) as gateway:
        await gateway.accounts.set_price(None, "*", PRICE)
        yield gateway


class Caller:
    def __init__(self, http: httpx.AsyncClient, key: str) -> None:
        self.http, self.key = http, key

    async def get(self, path: str, **params: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.key}"}
        response = await self.http.get(path, params=params, headers=headers)
        return response.status_code, response.json()

    async def post(self, path: str, body: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.key}"}
        response = await self.http.post(path, json=body, headers=headers)
        return response.status_code, response.json()


async def money(gateway: Gateway, account: Account) -> tuple[int, list[tuple[EntryKind, int]]]:
    """The account's balance and its ledger (kind, amount), newest first."""
    balance, _, _ = await gateway.accounts.balance(account)
    entries = await gateway.accounts.ledger(account, limit=1000)
    return balance, [(e.kind, e.amount) for e in entries]


async def test_a_reply_is_charged_like_a_send_to_the_mo_sender(gateway: Gateway) -> None:
    alice = await gateway.accounts.create("alice", credit=CREDIT, default_country="IT")
    bob = await gateway.accounts.create("bob", credit=CREDIT, default_country="IT")
    await gateway.numbers.add("+393330000001", account=alice.account)
    await gateway.numbers.add("3000", account=alice.account)
    long = await gateway.inbound.receive("op", PEER[1:], "393330000001", "hi", "gsm7", 1)
    short = await gateway.inbound.receive("op", PEER, "3000", "hi", "gsm7", 1)
    async with http_client(gateway.api_context()) as http:
        as_alice, as_bob = Caller(http, alice.api_key), Caller(http, bob.api_key)
        body = {"text": "hello back", "reference": "r-1", "callback_url": "https://a.test/cb"}
        status, sent = await as_alice.post(f"/api/v1/inbound/{long}/reply", body)
        assert status == 202, sent
        assert sent["cost"] == "0.05" and sent["currency"] == "EUR"
        [line] = sent["messages"]
        assert (line["to"], line["parts"], line["cost"], line["status"]) == (
            PEER,
            1,
            "0.05",
            "queued",
        )
        message = await gateway.messages.get(alice.account, line["id"])
        assert (message.sender, message.to, message.text) == ("+393330000001", PEER, "hello back")
        assert (message.reference, message.callback_url) == ("r-1", "https://a.test/cb")
        assert message.batch_id == sent["batch_id"]
        balance, ledger = await money(gateway, alice.account)
        assert balance == CREDIT - PRICE
        assert ledger[0] == (EntryKind.CHARGE, -PRICE)

        status, again = await as_alice.post(f"/api/v1/inbound/{long}/reply", body)
        assert (status, again["batch_id"]) == (200, sent["batch_id"])  # replayed, not charged
        assert (await money(gateway, alice.account))[0] == CREDIT - PRICE

        status, from_short = await as_alice.post(f"/api/v1/inbound/{short}/reply", {"text": "ok"})
        assert status == 202
        reply = await gateway.messages.get(alice.account, from_short["messages"][0]["id"])
        assert (reply.sender, reply.to) == ("3000", PEER)
        assert (await money(gateway, alice.account))[0] == CREDIT - 2 * PRICE

        before = await money(gateway, bob.account)
        status, refused = await as_bob.post(f"/api/v1/inbound/{long}/reply", {"text": "x"})
        assert (status, refused["error"]["code"]) == (404, "not_found")
        status, refused = await as_alice.post("/api/v1/inbound/999999/reply", {"text": "x"})
        assert (status, refused["error"]["code"]) == (404, "not_found")
        assert await money(gateway, bob.account) == before
        _, bobs = await as_bob.get("/api/v1/messages")
        assert bobs["messages"] == []


async def test_a_bad_reply_body_is_400_and_changes_nothing(gateway: Gateway) -> None:
    alice = await gateway.accounts.create("alice", credit=CREDIT, default_country="IT")
    await gateway.numbers.add("+393330000001", account=alice.account)
    mo = await gateway.inbound.receive("op", PEER, "+393330000001", "hi", "gsm7", 1)
    before = await money(gateway, alice.account)
    async with http_client(gateway.api_context()) as http:
        caller = Caller(http, alice.api_key)
        for body, code, field in (
            ({}, "invalid_request", "text"),
            ({"text": "hi", "to": PEER}, "invalid_request", "to"),
            ({"text": 5}, "invalid_request", "text"),
            ({"text": ""}, "empty_text", "text"),
            ({"text": "hi", "reference": "x" * 65}, "invalid_request", "reference"),
            ({"text": "hi", "callback_url": "ftp://a.test"}, "invalid_request", "callback_url"),
        ):
            status, refused = await caller.post(f"/api/v1/inbound/{mo}/reply", body)
            assert (status, refused["error"]["code"], refused["error"].get("field")) == (
                400,
                code,
                field,
            ), body
        _, listed = await caller.get("/api/v1/messages")
    assert listed["messages"] == []
    assert await money(gateway, alice.account) == before


async def test_a_reply_to_a_stop_listed_sender_is_refused_and_not_charged(
    gateway: Gateway,
) -> None:
    alice = await gateway.accounts.create("alice", credit=CREDIT, default_country="IT")
    await gateway.numbers.add("+393330000001", account=alice.account)
    stop = await gateway.inbound.receive("op", PEER, "+393330000001", "STOP", "gsm7", 1)
    before = await money(gateway, alice.account)
    async with http_client(gateway.api_context()) as http:
        caller = Caller(http, alice.api_key)
        status, refused = await caller.post(f"/api/v1/inbound/{stop}/reply", {"text": "bye?"})
        assert (status, refused["error"]["code"]) == (400, "stop_listed")
        _, listed = await caller.get("/api/v1/messages")
    assert listed["messages"] == []
    assert await money(gateway, alice.account) == before


async def test_a_conversation_lists_mt_and_mo_of_one_number_in_order(gateway: Gateway) -> None:
    alice = await gateway.accounts.create("alice", credit=CREDIT, default_country="IT")
    bob = await gateway.accounts.create("bob", credit=CREDIT, default_country="IT")
    await gateway.numbers.add("+393330000001", account=alice.account)
    await gateway.numbers.add("+393330000002", account=bob.account)
    receive = gateway.inbound.receive
    async with http_client(gateway.api_context()) as http:
        as_alice, as_bob = Caller(http, alice.api_key), Caller(http, bob.api_key)
        first = await receive("op", PEER[1:], "393330000001", "hello?", "gsm7", 1)
        _, answer = await as_alice.post(f"/api/v1/inbound/{first}/reply", {"text": "yes"})
        await receive("op", "393338888888", "393330000001", "someone else", "gsm7", 1)
        _, sent = await as_alice.post("/api/v1/messages", {"to": PEER, "from": "A", "text": "news"})
        await as_alice.post("/api/v1/messages", {"to": "+393338888888", "from": "A", "text": "x"})
        await receive("op", PEER, "393330000002", "to bob", "gsm7", 1)
        await as_bob.post("/api/v1/messages", {"to": PEER, "from": "B", "text": "bob's"})
        last = await receive("op", PEER, "+393330000001", "thanks", "gsm7", 1)

        status, whole = await as_alice.get("/api/v1/conversations/3339999999")
        assert status == 200
        assert whole["msisdn"] == PEER and whole["next_before"] is None
        items = whole["items"]
        assert [(i["direction"], i["text"]) for i in items] == [
            ("mo", "thanks"),
            ("mt", "news"),
            ("mt", "yes"),
            ("mo", "hello?"),
        ]
        assert items[0] == {
            "direction": "mo",
            "id": str(last),
            "from": PEER,
            "to": "+393330000001",
            "text": "thanks",
            "status": None,
            "at": items[0]["at"],
        }
        assert items[1]["id"] == sent["messages"][0]["id"]
        assert (items[1]["from"], items[1]["to"], items[1]["status"]) == ("A", PEER, "queued")
        assert (items[2]["id"], items[2]["from"]) == (answer["messages"][0]["id"], "+393330000001")
        assert [i["at"] for i in items] == sorted((i["at"] for i in items), reverse=True)

        _, page = await as_alice.get(f"/api/v1/conversations/{PEER}", limit=3)
        assert [i["text"] for i in page["items"]] == ["thanks", "news", "yes"]
        _, rest = await as_alice.get(
            f"/api/v1/conversations/{PEER}", limit=3, before=page["next_before"]
        )
        assert [i["text"] for i in rest["items"]] == ["hello?"] and rest["next_before"] is None

        _, bobs = await as_bob.get(f"/api/v1/conversations/{PEER}")
        assert [(i["direction"], i["text"]) for i in bobs["items"]] == [
            ("mt", "bob's"),
            ("mo", "to bob"),
        ]


async def test_bad_conversation_parameters_are_400_naming_the_field(gateway: Gateway) -> None:
    alice = await gateway.accounts.create("alice", default_country="IT")
    async with http_client(gateway.api_context()) as http:
        caller = Caller(http, alice.api_key)
        for msisdn, params, field in (
            ("not-a-number", {}, "msisdn"),
            ("+1", {}, "msisdn"),
            (PEER, {"limit": "0"}, "limit"),
            (PEER, {"limit": "1001"}, "limit"),
            (PEER, {"before": "yesterday"}, "before"),
        ):
            status, body = await caller.get(f"/api/v1/conversations/{msisdn}", **params)
            assert (status, body["error"]["code"], body["error"]["field"]) == (
                400,
                "invalid_request",
                field,
            ), (msisdn, params)
        assert (await http.get(f"/api/v1/conversations/{PEER}")).status_code == 401
        assert (await http.post("/api/v1/inbound/1/reply", json={"text": "x"})).status_code == 401
