"""Money under concurrency and durability across kill -9 (real subprocesses)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from smsgate.core.money import parse_amount
from tests.e2e.gateway import GatewayProcess, all_pages

pytestmark = pytest.mark.e2e


def test_two_hundred_concurrent_sends_against_credit_for_one_hundred(
    gateway: GatewayProcess,
) -> None:
    created = gateway.cli("account", "create", "race", "--credit", "5.00")  # 100 x 0.05

    async def send_all() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {created['api_key']}"}
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(
            base_url=gateway.base, headers=headers, limits=limits, timeout=30
        ) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        "/api/v1/messages",
                        json={"to": f"+39333{i:07d}", "from": "smsgate", "text": "x"},
                    )
                    # Clear of the simulator's test numbers (...0001-0003): none is refunded.
                    for i in range(100, 300)
                )
            )

    responses = asyncio.run(send_all())
    codes = [r.status_code for r in responses]
    assert codes.count(202) == 100, codes
    assert codes.count(402) == 100
    refused = [r.json()["error"]["code"] for r in responses if r.status_code == 402]
    assert set(refused) == {"insufficient_credit"}
    with gateway.client(created["api_key"]) as client:
        assert client.get("/api/v1/balance").json()["balance"] == "0.00"
        entries = all_pages(client, "/api/v1/ledger", "entries")
        assert [e["kind"] for e in entries].count("charge") == 100
        assert sum(parse_amount(e["amount"]) for e in entries) == 0
        assert len(all_pages(client, "/api/v1/messages", "messages")) == 100


def test_kill_9_during_load_loses_nothing(gateway: GatewayProcess) -> None:
    created = gateway.cli("account", "create", "crash", "--credit", "1000.00")
    key = created["api_key"]
    accepted: set[str] = set()

    async def load_and_kill() -> None:
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=gateway.base, headers=headers, timeout=5) as client:
            gate = asyncio.Semaphore(20)

            async def one(i: int) -> None:
                async with gate:
                    try:
                        response = await client.post(
                            "/api/v1/messages",
                            json={"to": f"+39333{i:07d}", "from": "smsgate", "text": "crash"},
                        )
                    except httpx.HTTPError:
                        return
                if response.status_code == 202:
                    accepted.add(response.json()["messages"][0]["id"])

            tasks = [asyncio.ensure_future(one(i + 100)) for i in range(3000)]
            await asyncio.sleep(0.7)
            gateway.kill()
            await asyncio.gather(*tasks)

    asyncio.run(load_and_kill())
    assert accepted, "the gateway accepted nothing before it was killed"
    gateway.start()
    with gateway.client(key) as client:
        deadline = time.monotonic() + 60
        while True:
            stored = all_pages(client, "/api/v1/messages", "messages")
            open_ = [m for m in stored if m["status"] != "delivered"]
            if not open_ or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert accepted <= {m["id"] for m in stored}, "a message answered with 202 was lost"
        assert not open_, f"{len(open_)} not delivered, e.g. {open_[0]}"
        entries = all_pages(client, "/api/v1/ledger", "entries")
        charges = [e for e in entries if e["kind"] == "charge"]
        assert len(charges) == len(stored), "every stored message is charged exactly once"
        balance = parse_amount(client.get("/api/v1/balance").json()["balance"])
        assert balance == parse_amount("1000.00") - 50_000 * len(stored)
        assert sum(parse_amount(e["amount"]) for e in entries) == balance
