"""The Agile Telecom dialect over the real composition root and a real SQLite store.

Golden files in tests/golden/agiletelecom/ hold request/response pairs; every refused
or simulated request must leave messages, ledger and balances exactly as they were.
"""

from __future__ import annotations

import json
from base64 import b64encode
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account, AccountStatus
from smsgate.core.messages import Message, Status
from smsgate.services.account_policy import AccountPolicy
from smsgate.services.ports import MessageQuery
from tests.integration.gateway import http_client, open_gateway

GOLDEN = Path(__file__).parents[2] / "golden" / "agiletelecom"
PRICE = 50_000
CREDIT = 10_000_000
PASSWORD = "alice-secret"


@dataclass(frozen=True)
class Snapshot:
    messages: tuple[str, ...]
    ledger: tuple[int, ...]
    balances: tuple[int, ...]


@dataclass
class Agile:
    gateway: Gateway
    http: httpx.AsyncClient
    alice: Account
    key: str

    def headers(self, auth: str = "key") -> dict[str, str]:
        basic = b64encode(f"alice:{PASSWORD}".encode()).decode()
        wrong = b64encode(b"alice:not-the-password").decode()
        return {
            "key": {"X-Api-Key": self.key},
            "basic": {"Authorization": f"Basic {basic}"},
            "wrong": {"Authorization": f"Basic {wrong}"},
            "wrong_key": {"X-Api-Key": "sg_not-a-key"},
            "none": {},
        }[auth]

    async def send(self, body: Any, auth: str = "key") -> httpx.Response:
        return await self.http.post("/services/sms/send", json=body, headers=self.headers(auth))

    async def messages(self) -> list[Message]:
        return await self.gateway.store.messages(self.alice.id, MessageQuery(limit=1000))

    async def balance(self, account: Account | None = None) -> int:
        found = await self.gateway.store.account((account or self.alice).id)
        assert found is not None
        return found.balance

    async def snapshot(self) -> Snapshot:
        store = self.gateway.store
        accounts = await store.accounts()
        messages: list[str] = []
        ledger: list[int] = []
        for account in accounts:
            found = await store.messages(account.id, MessageQuery(limit=1000))
            messages += [m.id for m in found]
            ledger += [e.id for e in await store.ledger(account.id, limit=1000, before_id=None)]
        return Snapshot(
            tuple(sorted(messages)), tuple(sorted(ledger)), tuple(a.balance for a in accounts)
        )


@pytest.fixture
async def agile(tmp_path: Path) -> AsyncIterator[Agile]:
    async with open_gateway(tmp_path) as gateway:
        await gateway.accounts.set_price(None, "*", PRICE)
        created = await gateway.accounts.create(
            "alice", credit=CREDIT, password=PASSWORD, default_country="IT"
        )
        async with http_client(gateway.api_context()) as http:
            yield Agile(gateway, http, created.account, created.api_key)


def _golden_cases() -> list[Path]:
    return sorted(GOLDEN.glob("*.json"))


def _normalised(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        for result in body["results"]:
            if result.get("messageId") is not None:
                result["messageId"] = "<messageId>"
    return body


@pytest.mark.parametrize("case", _golden_cases(), ids=lambda p: p.stem)
async def test_golden_exchange(agile: Agile, case: Path) -> None:
    golden = json.loads(case.read_text())
    request, expected = golden["request"], golden["response"]
    before = await agile.snapshot()
    response = await agile.http.request(
        request["method"],
        request["path"],
        headers=agile.headers(request["auth"]),
        **({"json": request["json"]} if "json" in request else {}),
        **({"content": request["content"]} if "content" in request else {}),
    )
    assert response.headers["content-type"] == "application/json"
    assert (response.status_code, _normalised(response.json())) == (
        expected["status"],
        expected["body"],
    )
    after = await agile.snapshot()
    body = request.get("json", {})
    stores = request["path"] == "/services/sms/send" and response.status_code == 200
    if not stores or body.get("simulation"):
        assert after == before
        return
    answer = json.loads(response.text, parse_float=Decimal)
    assert len(after.messages) == len(before.messages) + len(answer["results"])
    spent = sum(before.balances) - sum(after.balances)
    assert spent == answer["cost"] * 1_000_000 == PRICE * answer["sms"]


def test_every_documented_validation_code_has_a_golden_case() -> None:
    codes = {json.loads(p.read_text())["response"]["body"].get("code") for p in _golden_cases()}
    assert {1, 4, 6, 7, 10, 13, 14, 15, 18, 20, 21, 22, 23, 24} <= codes


async def test_client_ids_become_tags_and_global_id_makes_references(agile: Agile) -> None:
    body = {
        "globalId": "batch-7",
        "messages": [
            {"destinations": ["+393331234567", "+393471234567"], "ids": ["a1", "a2"],
             "sender": "Shop", "body": "one"},
            {"destinations": ["+393201234567"], "sender": "Shop", "body": "two"},
        ],
    }  # fmt: skip
    response = await agile.send(body)
    assert response.status_code == 200, response.text
    stored = {m.id: m for m in await agile.messages()}
    results = response.json()["results"]
    seen = [(stored[r["messageId"]].to, stored[r["messageId"]].tag) for r in results]
    assert seen == [("+393331234567", "a1"), ("+393471234567", "a2"), ("+393201234567", None)]
    assert {stored[r["messageId"]].reference for r in results} == {
        "batch-7:1",
        "batch-7:2",
        "batch-7:3",
    }


async def test_a_repeated_global_id_replays_without_charging_again(agile: Agile) -> None:
    body = {
        "globalId": "retry-1",
        "messages": [{"destinations": ["+393331234567"], "ids": ["x"], "sender": "Shop",
                      "body": "hello"}],
    }  # fmt: skip
    first = await agile.send(body)
    balance = await agile.balance()
    second = await agile.send(body)
    assert second.status_code == 200
    assert await agile.balance() == balance == CREDIT - PRICE
    assert second.json()["results"][0]["messageId"] == first.json()["results"][0]["messageId"]
    assert second.json()["results"][0]["replayed"] is True
    assert len(await agile.messages()) == 1


async def test_one_bad_entry_refuses_the_whole_request(agile: Agile) -> None:
    before = await agile.snapshot()
    body = {
        "messages": [
            {"destinations": ["+393331234567"], "sender": "Shop", "body": "fine"},
            {"destinations": ["+393471234567"], "sender": "Shop", "body": "x" * 2000},
        ]
    }
    response = await agile.send(body)
    assert (response.status_code, response.json()["code"]) == (400, 7)
    assert await agile.snapshot() == before


async def test_code_2_when_the_whole_request_costs_more_than_the_credit(agile: Agile) -> None:
    before = await agile.snapshot()
    destinations = [f"+39333123{n:04d}" for n in range(21)]
    body = {"messages": [{"destinations": destinations, "sender": "Shop", "body": "x" * 1530}]}
    response = await agile.send(body)
    assert response.status_code == 402
    assert response.json() == {
        "status": "error",
        "message": "credit does not cover the whole request",
        "code": 2,
    }
    assert await agile.snapshot() == before


async def test_code_100_from_an_address_outside_the_allow_list(agile: Agile) -> None:
    policies = agile.gateway.policies
    await policies.set(agile.alice.id, AccountPolicy(allowed_ips=("10.0.0.0/8",)))
    before = await agile.snapshot()
    body = {"messages": [{"destinations": ["+393331234567"], "sender": "Shop", "body": "hi"}]}
    refused = await agile.send(body)
    assert refused.status_code == 403
    assert refused.json() == {
        "status": "error",
        "message": "source IP 127.0.0.1 is not allowed",
        "code": 100,
    }
    credit = await agile.http.get("/services/sms/credit", headers=agile.headers())
    assert credit.json()["code"] == 100
    assert await agile.snapshot() == before
    await policies.set(agile.alice.id, AccountPolicy(allowed_ips=("10.0.0.1", "127.0.0.1")))
    assert (await agile.send(body)).status_code == 200


async def test_a_suspended_account_is_refused_with_code_1(agile: Agile) -> None:
    await agile.gateway.accounts.set_status(agile.alice, AccountStatus.SUSPENDED)
    agile.gateway.auth.forget()
    response = await agile.http.get("/services/sms/credit", headers=agile.headers())
    assert (response.status_code, response.json()["code"]) == (403, 1)


async def test_credit_is_the_exact_decimal_of_the_paying_balance(agile: Agile) -> None:
    child = await agile.gateway.accounts.create(
        "bob", parent=agile.alice, own_balance=False, default_country="IT"
    )
    await agile.gateway.accounts.topup(agile.alice, 324_001)
    response = await agile.http.get("/services/sms/credit", headers={"X-Api-Key": child.api_key})
    assert response.content == b'{"credit":10.324001}'


async def test_delivery_callback_is_kept_only_when_delivery_is_enabled(agile: Agile) -> None:
    url = "https://client.example/dlr"
    one = {"destinations": ["+393331234567"], "sender": "Shop", "body": "hi"}
    on = await agile.send({"callbackUrl": url, "messages": [one]})
    off = await agile.send({"callbackUrl": url, "enableDelivery": False, "messages": [one]})
    stored = {m.id: m for m in await agile.messages()}
    assert stored[on.json()["results"][0]["messageId"]].callback_url == url
    assert stored[off.json()["results"][0]["messageId"]].callback_url is None


async def test_scheduling_in_the_agile_format_is_kept_as_scheduled(agile: Agile) -> None:
    due = datetime.now(timezone(timedelta(hours=2))).replace(microsecond=2000) + timedelta(days=1)
    text = due.strftime("%Y-%m-%d %H:%M:%S.") + f"{due.microsecond // 1000:03d}" + "+0200"
    one = {"destinations": ["+393331234567"], "sender": "Shop", "body": "later"}
    response = await agile.send({"messages": [{**one, "scheduling": text}]})
    assert response.status_code == 200, response.text
    (message,) = await agile.messages()
    assert message.status is Status.SCHEDULED
    assert message.scheduled_at == pytest.approx(due.timestamp(), abs=0.001)


async def test_scheduling_more_than_a_year_ahead_is_code_23(agile: Agile) -> None:
    before = await agile.snapshot()
    one = {"destinations": ["+393331234567"], "sender": "Shop", "body": "later"}
    response = await agile.send({"messages": [{**one, "scheduling": "2099-01-02 03:04:05+0100"}]})
    assert (response.status_code, response.json()["code"]) == (400, 23)
    assert await agile.snapshot() == before


async def test_a_request_cut_short_says_which_destinations_were_stored(tmp_path: Path) -> None:
    # A limit of one message a second stops the request after its first submission.
    async with open_gateway(tmp_path, account_rate_limit=1.0) as gateway:
        await gateway.accounts.set_price(None, "*", PRICE)
        created = await gateway.accounts.create("carol", credit=CREDIT, default_country="IT")
        body = {
            "globalId": "cut-1",
            "messages": [{"destinations": ["+393331234567", "+393471234567", "+393201234567"],
                          "ids": ["a", "b", "c"], "sender": "Shop", "body": "hi"}],
        }  # fmt: skip
        async with http_client(gateway.api_context()) as http:
            response = await http.post(
                "/services/sms/send", json=body, headers={"X-Api-Key": created.api_key}
            )
        answer = json.loads(response.text, parse_float=Decimal)
        assert response.status_code == 429
        assert (answer["status"], answer["accepted"], answer["sms"]) == ("error", False, 1)
        assert answer["cost"] == Decimal("0.05")
        assert [(r["id"], r["accepted"], r["statusCode"]) for r in answer["results"]] == [
            ("a", True, 200),
            ("b", False, 429),
            ("c", False, 429),
        ]
        (stored,) = await gateway.store.messages(created.account.id, MessageQuery(limit=10))
        assert (stored.id, stored.tag) == (answer["results"][0]["messageId"], "a")
        account = await gateway.store.account(created.account.id)
        assert account is not None and account.balance == CREDIT - PRICE


async def test_udh_data_travels_with_the_message(agile: Agile) -> None:
    body = {
        "messages": [{"destinations": ["+393331234567"], "sender": "Shop", "body": "part one",
                      "udhData": "0500034a0201"}],
    }  # fmt: skip
    response = await agile.send(body)
    assert response.status_code == 200, response.text
    [message] = await agile.messages()
    assert message.udh == bytes.fromhex("0500034a0201")
    assert message.parts == 1


async def test_udh_data_that_is_not_hex_is_code_22(agile: Agile) -> None:
    before = await agile.snapshot()
    body = {
        "messages": [{"destinations": ["+393331234567"], "sender": "Shop", "body": "x",
                      "udhData": "05 00 03"}],
    }  # fmt: skip
    response = await agile.send(body)
    assert (response.status_code, response.json()["code"]) == (400, 22)
    assert await agile.snapshot() == before
