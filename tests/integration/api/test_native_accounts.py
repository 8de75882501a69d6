"""Balance, ledger, sub-accounts and credit transfers in both directions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api.conftest import Gateway

TO = "+393331234567"


async def test_balance(gw: Gateway) -> None:
    response = await gw.http.get("/api/v1/balance", headers=gw.auth())
    assert response.status_code == 200
    assert response.json() == {"balance": "10.00", "currency": "EUR"}


async def test_ledger_pages(gw: Gateway) -> None:
    for _ in range(2):
        sent = await gw.http.post(
            "/api/v1/messages", json={"to": TO, "from": "Shop", "text": "hi"}, headers=gw.auth()
        )
        assert sent.status_code == 202
    first = await gw.http.get("/api/v1/ledger?limit=2", headers=gw.auth())
    assert first.status_code == 200
    page = first.json()
    assert [e["kind"] for e in page["entries"]] == ["charge", "charge"]
    assert page["entries"][0]["amount"] == "-0.05"
    assert page["entries"][0]["balance_after"] == "9.90"
    assert set(page["entries"][0]) == {
        "id",
        "kind",
        "amount",
        "balance_after",
        "reference",
        "created_at",
    }
    assert page["next_cursor"] is not None
    rest = await gw.http.get(f"/api/v1/ledger?cursor={page['next_cursor']}", headers=gw.auth())
    entries = rest.json()["entries"]
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in entries] == [
        ("topup", "10.00", "10.00")
    ]
    assert rest.json()["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("cursor=abc", "cursor"),
        ("cursor=%C2%B2", "cursor"),
        ("cursor=" + "9" * 40, "cursor"),
        ("limit=0", "limit"),
        ("limit=" + "9" * 5000, "limit"),
    ],
)
async def test_ledger_refuses_bad_queries(gw: Gateway, query: str, field: str) -> None:
    response = await gw.http.get(f"/api/v1/ledger?{query}", headers=gw.auth())
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


async def test_create_funded_subaccount(gw: Gateway) -> None:
    response = await gw.http.post(
        "/api/v1/subaccounts",
        json={"name": "shop-1", "password": "s3cret!", "credit": "2.50"},
        headers=gw.auth(),
    )
    assert response.status_code == 201
    child = response.json()
    assert set(child) == {"id", "name", "api_key", "balance", "currency", "shared_balance"}
    assert (child["name"], child["balance"], child["currency"], child["shared_balance"]) == (
        "shop-1",
        "2.50",
        "EUR",
        False,
    )
    assert await gw.balance() == 7_500_000
    own = await gw.http.get("/api/v1/balance", headers=gw.auth(child["api_key"]))
    assert own.json() == {"balance": "2.50", "currency": "EUR"}
    listed = await gw.http.get("/api/v1/subaccounts", headers=gw.auth())
    assert listed.json() == {
        "subaccounts": [
            {
                "id": child["id"],
                "name": "shop-1",
                "balance": "2.50",
                "currency": "EUR",
                "shared_balance": False,
                "status": "active",
            }
        ]
    }
    basic = await gw.http.get("/api/v1/balance", auth=("shop-1", "s3cret!"))
    assert basic.status_code == 200


async def test_shared_balance_subaccount_spends_the_parents_credit(gw: Gateway) -> None:
    response = await gw.http.post(
        "/api/v1/subaccounts", json={"name": "team", "shared_balance": True}, headers=gw.auth()
    )
    assert response.status_code == 201
    child = response.json()
    assert (child["balance"], child["shared_balance"]) == (None, True)
    key = child["api_key"]
    sent = await gw.http.post(
        "/api/v1/messages", json={"to": TO, "from": "Team", "text": "hi"}, headers=gw.auth(key)
    )
    assert sent.status_code == 202
    assert await gw.balance() == 10_000_000 - 50_000
    balance = await gw.http.get("/api/v1/balance", headers=gw.auth(key))
    assert balance.json() == {"balance": "9.95", "currency": "EUR"}
    credit = await gw.http.post(
        f"/api/v1/subaccounts/{child['id']}/credit", json={"amount": "1"}, headers=gw.auth()
    )
    assert (credit.status_code, credit.json()["error"]["code"]) == (400, "invalid_request")


async def test_credit_both_directions(gw: Gateway) -> None:
    child, _ = await gw.new_account("kid", "0", parent=gw.alice)
    url = f"/api/v1/subaccounts/{child.id}/credit"
    there = await gw.http.post(url, json={"amount": "3.25"}, headers=gw.auth())
    assert there.status_code == 200
    assert there.json() == {
        "currency": "EUR",
        "account": {"id": gw.alice.id, "balance": "6.75"},
        "subaccount": {"id": child.id, "balance": "3.25"},
    }
    back = await gw.http.post(url, json={"amount": "-1.25"}, headers=gw.auth())
    assert back.status_code == 200
    assert back.json()["account"]["balance"] == "8.00"
    assert back.json()["subaccount"]["balance"] == "2.00"
    whole = await gw.http.post(url, json={"amount": 1}, headers=gw.auth())
    assert whole.json()["subaccount"]["balance"] == "3.00"
    assert (await gw.balance(), await gw.balance(child)) == (7_000_000, 3_000_000)


CREDIT_REFUSED: list[tuple[str, Any, int, str]] = [
    ("zero", {"amount": "0"}, 400, "invalid_request"),
    ("float", {"amount": 1.5}, 400, "invalid_request"),
    ("garbage", {"amount": "1.5.5"}, 400, "invalid_request"),
    ("too precise", {"amount": "0.0000001"}, 400, "invalid_request"),
    ("unknown field", {"amount": "1", "note": "x"}, 400, "invalid_request"),
    ("missing", {}, 400, "invalid_request"),
    ("more than the parent has", {"amount": "10.01"}, 402, "insufficient_credit"),
    ("more than the child has", {"amount": "-1.01"}, 402, "insufficient_credit"),
]


@pytest.mark.parametrize(
    ("case", "payload", "status", "code"), CREDIT_REFUSED, ids=[c[0] for c in CREDIT_REFUSED]
)
async def test_credit_refused(gw: Gateway, case: str, payload: Any, status: int, code: str) -> None:
    child, _ = await gw.new_account("kid", "0", parent=gw.alice)
    await gw.http.post(
        f"/api/v1/subaccounts/{child.id}/credit", json={"amount": "1"}, headers=gw.auth()
    )
    before = await gw.snapshot()
    response = await gw.http.post(
        f"/api/v1/subaccounts/{child.id}/credit", json=payload, headers=gw.auth()
    )
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert await gw.snapshot() == before


async def test_credit_someone_elses_or_a_missing_subaccount(gw: Gateway) -> None:
    bob, _ = await gw.new_account("bob")
    bobs_child, _ = await gw.new_account("bobs-kid", "0", parent=bob)
    before = await gw.snapshot()
    for target, status, code in (
        (bobs_child.id, 403, "forbidden"),
        (bob.id, 403, "forbidden"),
        (99999, 404, "not_found"),
    ):
        response = await gw.http.post(
            f"/api/v1/subaccounts/{target}/credit", json={"amount": "1"}, headers=gw.auth()
        )
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert await gw.snapshot() == before


SUBACCOUNT_REFUSED: list[tuple[str, Any, int, str, str | None]] = [
    ("bad name", {"name": "no spaces"}, 400, "invalid_request", "name"),
    ("taken name", {"name": "alice"}, 409, "conflict", "name"),
    ("short password", {"name": "kid", "password": "123"}, 400, "invalid_request", "password"),
    ("negative credit", {"name": "kid", "credit": "-1"}, 400, "invalid_request", "credit"),
    ("float credit", {"name": "kid", "credit": 2.5}, 400, "invalid_request", "credit"),
    (
        "shared with credit",
        {"name": "kid", "credit": "1", "shared_balance": True},
        400,
        "invalid_request",
        "credit",
    ),
    ("unaffordable", {"name": "kid", "credit": "10.01"}, 402, "insufficient_credit", "credit"),
    ("unknown field", {"name": "kid", "admin": True}, 400, "invalid_request", "admin"),
]


@pytest.mark.parametrize(
    ("case", "payload", "status", "code", "field"),
    SUBACCOUNT_REFUSED,
    ids=[c[0] for c in SUBACCOUNT_REFUSED],
)
async def test_create_subaccount_refused(
    gw: Gateway, case: str, payload: Any, status: int, code: str, field: str | None
) -> None:
    before = await gw.snapshot()
    response = await gw.http.post("/api/v1/subaccounts", json=payload, headers=gw.auth())
    assert response.status_code == status, response.text
    assert (response.json()["error"]["code"], response.json()["error"].get("field")) == (
        code,
        field,
    )
    assert await gw.snapshot() == before
    assert [a.name for a in await gw.store.accounts()] == ["alice"]
