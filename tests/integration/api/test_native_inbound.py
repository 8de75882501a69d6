"""Inbound over the native API of the real gateway on SQLite and PostgreSQL: an account
polls the MO routed to it (pages, filters, one MO), never another account's, and lists
its numbers; an MO that arrives over a real SMPP bind from the SMSC simulator ends up on
the account its keyword names."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsgate.app import Gateway
from smsgate.smpp.smsc_simulator import SmscSimulator
from tests.integration.gateway import http_client, open_gateway

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def gateway(tmp_path: Path, database_url: str) -> AsyncIterator[Gateway]:
    settings: dict[str, Any] = {"database_url": database_url} if database_url else {}
    async with open_gateway(tmp_path, **settings) as gateway:
        yield gateway


class Caller:
    def __init__(self, http: httpx.AsyncClient, key: str) -> None:
        self.http, self.key = http, key

    async def get(self, path: str, **params: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.key}"}
        response = await self.http.get(path, params=params, headers=headers)
        return response.status_code, response.json()


async def test_an_account_polls_its_own_mo(gateway: Gateway) -> None:
    alice = await gateway.accounts.create("alice", default_country="IT")
    bob = await gateway.accounts.create("bob", default_country="IT")
    numbers, inbound = gateway.numbers, gateway.inbound
    await numbers.add("+393330000001", account=alice.account)
    await numbers.add("3000", default_account=bob.account)
    await numbers.add_keyword("3000", "INFO", alice.account)
    ids = [
        await inbound.receive("op", "393339999999", "393330000001", "first", "gsm7", 1),
        await inbound.receive("op", "393339999999", "3000", "Info please", "gsm7", 1),
        await inbound.receive("op", "393339999999", "3000", "for bob", "gsm7", 1),
        await inbound.receive("op", "393339999999", "3000", "info again", "ucs2", 2),
    ]
    await inbound.receive("op", "393339999999", "5555", "to nobody", "gsm7", 1)
    async with http_client(gateway.api_context()) as http:
        as_alice, as_bob = Caller(http, alice.api_key), Caller(http, bob.api_key)
        status, page = await as_alice.get("/api/v1/inbound", limit=2)
        assert status == 200
        assert [m["text"] for m in page["inbound"]] == ["info again", "Info please"]
        newest = page["inbound"][0]
        assert newest == {
            "id": ids[3],
            "from": "393339999999",
            "to": "3000",
            "text": "info again",
            "encoding": "ucs2",
            "parts": 2,
            "keyword": "INFO",
            "received_at": newest["received_at"],
            "flag": None,
        }
        assert newest["received_at"].endswith("Z") or "+00:00" in newest["received_at"]
        status, rest = await as_alice.get("/api/v1/inbound", limit=2, cursor=page["next_cursor"])
        assert [m["text"] for m in rest["inbound"]] == ["first"] and rest["next_cursor"] is None
        _, by_number = await as_alice.get("/api/v1/inbound", number="393330000001")
        assert [m["id"] for m in by_number["inbound"]] == [ids[0]]
        _, by_keyword = await as_alice.get("/api/v1/inbound", keyword="info")
        assert [m["id"] for m in by_keyword["inbound"]] == [ids[3], ids[1]]
        _, none_yet = await as_alice.get("/api/v1/inbound", since="2999-01-01T00:00:00+00:00")
        assert none_yet["inbound"] == []
        _, before = await as_alice.get("/api/v1/inbound", until="2000-01-01T00:00:00+00:00")
        assert before["inbound"] == []

        assert (await as_alice.get(f"/api/v1/inbound/{ids[0]}"))[1]["text"] == "first"
        status, body = await as_bob.get(f"/api/v1/inbound/{ids[0]}")
        assert (status, body["error"]["code"]) == (404, "not_found")
        assert (await as_alice.get("/api/v1/inbound/999999"))[0] == 404
        _, bobs = await as_bob.get("/api/v1/inbound")
        assert [m["text"] for m in bobs["inbound"]] == ["for bob"]

        _, listed = await as_alice.get("/api/v1/numbers")
        assert [
            (n["number"], n["shared"], n["default"], n["keywords"]) for n in listed["numbers"]
        ] == [
            ("+393330000001", False, False, []),
            ("3000", True, False, ["INFO"]),
        ]
        _, listed = await as_bob.get("/api/v1/numbers")
        assert [(n["number"], n["default"]) for n in listed["numbers"]] == [("3000", True)]
        metrics = (await http.get("/metrics")).text
    assert 'smsgate_inbound_total{routed="true"} 4.0' in metrics
    assert 'smsgate_inbound_total{routed="false"} 1.0' in metrics


async def test_bad_polling_parameters_are_400_naming_the_field(gateway: Gateway) -> None:
    alice = await gateway.accounts.create("alice", default_country="IT")
    async with http_client(gateway.api_context()) as http:
        caller = Caller(http, alice.api_key)
        for params, field in (
            ({"limit": "0"}, "limit"),
            ({"limit": "1001"}, "limit"),
            ({"cursor": "abc"}, "cursor"),
            ({"since": "yesterday"}, "since"),
            ({"until": "2024-01-01T00:00:00"}, "until"),
            ({"number": "INFO"}, "number"),
        ):
            status, body = await caller.get("/api/v1/inbound", **params)
            assert (status, body["error"]["code"], body["error"]["field"]) == (
                400,
                "invalid_request",
                field,
            ), params
        status, _ = await caller.get("/api/v1/inbound/abc")
        assert status == 404
        unauthenticated = await http.get("/api/v1/inbound")
        assert unauthenticated.status_code == 401


async def test_mo_over_a_real_smpp_bind_reaches_its_account(gateway: Gateway) -> None:
    smsc = SmscSimulator("127.0.0.1", 0, credentials={"gw": "pw"})
    await smsc.start()
    try:
        alice = await gateway.accounts.create("alice", default_country="IT")
        bob = await gateway.accounts.create("bob", default_country="IT")
        await gateway.numbers.add("3000", default_account=bob.account)
        await gateway.numbers.add_keyword("3000", "PIZZA", alice.account)
        settings = {"host": "127.0.0.1", "port": smsc.port, "system_id": "gw", "password": "pw"}
        await gateway.connectors.add("op", "smpp", settings)
        await gateway.start(smpp=False)
        async with asyncio.timeout(20):
            while smsc.counters.binds < 1:
                await asyncio.sleep(0.02)
        response = await smsc.inject_mo("393331234567", "3000", b"Pizza margherita", system_id="gw")
        assert response.command_status == 0  # acknowledged once stored
        await smsc.inject_mo("393331234567", "3000", b"STOP", system_id="gw")
        async with http_client(gateway.api_context()) as http:
            _, alices = await Caller(http, alice.api_key).get("/api/v1/inbound")
            _, bobs = await Caller(http, bob.api_key).get("/api/v1/inbound")
        assert [(m["from"], m["to"], m["text"], m["keyword"]) for m in alices["inbound"]] == [
            ("393331234567", "3000", "Pizza margherita", "PIZZA")
        ]
        assert [m["text"] for m in bobs["inbound"]] == ["STOP"]
        stopped = await gateway.stop_list.entries(bob.account)
        assert [(e.number, e.source) for e in stopped] == [("+393331234567", "inbound")]
    finally:
        await smsc.stop()
