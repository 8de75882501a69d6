"""Inbound settings, numbers' prices and STOP confirmations over the native API of the
real gateway on SQLite and PostgreSQL: an account reads and replaces its own inbound
settings (bad ones are 400 naming the field and change nothing); its numbers show their
webhook shape and price; an MO "STOP" lists its sender, who gets the account's
confirmation, stored and charged as a send, while a normal send to it is refused; MO
statistics count MO per account and day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from smsgate.app import Gateway
from smsgate.core.ledger import EntryKind
from tests.integration.api import test_native_replies
from tests.integration.api.test_native_replies import CREDIT, PEER, PRICE, Caller, money
from tests.integration.gateway import http_client

pytestmark = pytest.mark.timeout(60)
gateway = test_native_replies.gateway  # a real gateway on each backend, every part priced

SETTINGS = "/api/v1/inbound/settings"
DEFAULTS: dict[str, Any] = {
    "webhook_url": None,
    "webhook_shape": "native",
    "smpp": False,
    "smpp_long": "udh",
    "opt_out": [],
    "stop_reply": None,
    "start_reply": None,
}


class Putter(Caller):
    async def put(self, path: str, body: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.key}"}
        response = await self.http.put(path, json=body, headers=headers)
        return response.status_code, response.json()


async def test_an_account_reads_and_replaces_its_inbound_settings(gateway: Gateway) -> None:
    alice = await gateway.accounts.create("alice", default_country="IT")
    bob = await gateway.accounts.create("bob", default_country="IT")
    async with http_client(gateway.api_context()) as http:
        as_alice, as_bob = Putter(http, alice.api_key), Putter(http, bob.api_key)
        assert await as_alice.get(SETTINGS) == (200, DEFAULTS)
        wanted = {
            "webhook_url": "https://alice.example/mo",
            "webhook_shape": "agiletelecom",
            "smpp": True,
            "smpp_long": "payload",
            "opt_out": ["basta", "Fermàti"],
            "stop_reply": "No more SMS. Send START to come back",
            "start_reply": "Welcome back",
        }
        status, stored = await as_alice.put(SETTINGS, wanted)
        assert (status, stored) == (200, {**wanted, "opt_out": ["BASTA", "FERMATI"]})
        assert await as_alice.get(SETTINGS) == (200, stored)
        assert await as_bob.get(SETTINGS) == (200, DEFAULTS)
        status, partial = await as_alice.put(SETTINGS, {"smpp": True})
        assert (status, partial) == (200, {**DEFAULTS, "smpp": True})


async def test_bad_inbound_settings_are_400_naming_the_field_and_change_nothing(
    gateway: Gateway,
) -> None:
    alice = await gateway.accounts.create("alice", default_country="IT")
    async with http_client(gateway.api_context()) as http:
        caller = Putter(http, alice.api_key)
        _, kept = await caller.put(SETTINGS, {"webhook_url": "https://alice.example/mo"})
        for body, field in (
            ({"webhook_url": "ftp://alice.example"}, "webhook_url"),
            ({"webhook_shape": "soap"}, "webhook_shape"),
            ({"smpp_long": "sar"}, "smpp_long"),
            ({"smpp": "yes"}, "smpp"),
            ({"opt_out": ["two words"]}, "keyword"),
            ({"opt_out": "STOP"}, "opt_out"),
            ({"opt_out": [f"W{n}" for n in range(101)]}, "opt_out"),
            ({"stop_reply": ""}, "stop_reply"),
            ({"start_reply": "x" * 613}, "start_reply"),
            ({"stop_reply": "a\u0000b"}, "stop_reply"),
            ({"account_id": 7}, "account_id"),
        ):
            status, refused = await caller.put(SETTINGS, body)
            assert (status, refused["error"]["code"], refused["error"].get("field")) == (
                400,
                "invalid_request",
                field,
            ), body
        assert await caller.get(SETTINGS) == (200, kept)


async def test_the_numbers_view_shows_each_number_s_webhook_shape_and_price(
    gateway: Gateway,
) -> None:
    alice = await gateway.accounts.create("alice", default_country="IT")
    await gateway.numbers.add("3000", account=alice.account, webhook_shape="smspartner", price=1)
    await gateway.numbers.add("+393330000001", account=alice.account)
    await gateway.numbers.set_delivery("+393330000001", None, None, 25_000)
    async with http_client(gateway.api_context()) as http:
        status, listed = await Caller(http, alice.api_key).get("/api/v1/numbers")
    assert status == 200
    assert [(n["number"], n["webhook_shape"], n["price"]) for n in listed["numbers"]] == [
        ("+393330000001", None, "0.025"),
        ("3000", "smspartner", "0.000001"),
    ]


async def test_a_stop_gets_its_confirmation_charged_and_then_sends_are_refused(
    gateway: Gateway,
) -> None:
    alice = await gateway.accounts.create("alice", credit=CREDIT, default_country="IT")
    await gateway.numbers.add("3000", account=alice.account, price=10_000)
    async with http_client(gateway.api_context()) as http:
        caller = Putter(http, alice.api_key)
        replies = {"stop_reply": "You are unsubscribed", "start_reply": "Welcome back"}
        assert (await caller.put(SETTINGS, replies))[0] == 200
        stop = await gateway.inbound.receive("op", PEER[1:], "3000", "Stop", "gsm7", 1)

        _, listed = await caller.get("/api/v1/stoplist")
        assert [e["number"] for e in listed["entries"]] == [PEER]
        _, sent = await caller.get("/api/v1/messages")
        [confirmation] = sent["messages"]
        assert (confirmation["from"], confirmation["to"], confirmation["text"]) == (
            "3000",
            PEER,
            "You are unsubscribed",
        )
        balance, ledger = await money(gateway, alice.account)
        assert balance == CREDIT - 10_000 - PRICE
        assert ledger[:2] == [(EntryKind.CHARGE, -PRICE), (EntryKind.CHARGE, -10_000)]
        entries = await gateway.accounts.ledger(alice.account, limit=2)
        assert entries[1].reference == f"inbound:{stop}"

        status, refused = await caller.post(
            "/api/v1/messages", {"to": PEER, "from": "3000", "text": "You are unsubscribed"}
        )
        assert (status, refused["error"]["code"]) == (400, "stop_listed")
        assert (await money(gateway, alice.account))[0] == balance

        await gateway.inbound.receive("op", PEER, "3000", "START", "gsm7", 1)
        _, listed = await caller.get("/api/v1/stoplist")
        assert listed["entries"] == []
        _, sent = await caller.get("/api/v1/messages")
        assert [m["text"] for m in sent["messages"]] == ["Welcome back", "You are unsubscribed"]


async def test_inbound_statistics_count_mo_per_account_and_day(gateway: Gateway) -> None:
    alice = await gateway.accounts.create("alice", default_country="IT")
    bob = await gateway.accounts.create("bob", parent=alice.account, default_country="IT")
    await gateway.numbers.add("3000", account=alice.account)
    await gateway.numbers.add("4000", account=bob.account)
    for to in ("3000", "3000", "4000", "5000"):
        await gateway.inbound.receive("op", PEER, to, "hi", "gsm7", 1)
    [first, *_] = (await gateway.inbound.page(alice.account))[0]
    today = datetime.fromtimestamp(first.received_at, UTC).date().isoformat()
    path = "/api/v1/inbound/statistics"
    async with http_client(gateway.api_context()) as http:
        as_alice, as_bob = Caller(http, alice.api_key), Caller(http, bob.api_key)
        status, own = await as_alice.get(path)
        assert (status, own) == (200, {"days": [_day(alice, today, 2)], "total": 2})
        _, tree = await as_alice.get(path, subaccounts="true")
        assert tree == {"days": [_day(alice, today, 2), _day(bob, today, 1)], "total": 3}
        assert (await as_bob.get(path, subaccounts="1"))[1]["total"] == 1
        _, later = await as_alice.get(path, since="2999-01-01T00:00:00+00:00", until="32503680000")
        assert later == {"days": [], "total": 0}
        for params, field in (
            ({"utc_offset": "3h"}, "utc_offset"),
            ({"utc_offset": "--5"}, "utc_offset"),
            ({"utc_offset": str(15 * 3600)}, "utc_offset"),
            ({"since": "yesterday"}, "since"),
            ({"since": "1700000000", "until": "1600000000"}, "until"),
        ):
            status, refused = await as_alice.get(path, **params)
            assert (status, refused["error"]["code"], refused["error"].get("field")) == (
                400,
                "invalid_request",
                field,
            ), params


def _day(created: Any, day: str, mo: int) -> dict[str, Any]:
    return {"account_id": created.account.id, "day": day, "mo": mo}
