"""The console's inbound page through the real app: numbers added, given an owner, their
delivery changed and removed, keywords added and removed, and the unrouted MO listed;
bad input changes nothing and is not audited."""

from __future__ import annotations

import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from tests.integration.web.conftest import Visitor
from tests.integration.web.console import audited, operator

__all__ = ["operator"]
NUMBER = "+393330000100"


async def test_numbers_and_keywords_are_managed_and_audited(
    gateway: Gateway, operator: Visitor, alice: Account
) -> None:
    add = {"number": "4000", "account": "", "default_account": "alice", "price": "0.01"}
    assert (await operator.post("/admin/inbound/numbers", add)).headers["location"] == (
        "/admin/inbound"
    )
    shared = await gateway.numbers.get("4000")
    assert (shared.account_id, shared.default_account_id, shared.price) == (None, alice.id, 10_000)

    keyword = {"number": "4000", "keyword": "info", "account": "alice"}
    assert (await operator.post("/admin/inbound/keywords", keyword)).status_code == 303
    assert [k.keyword for k in await gateway.numbers.keywords("4000")] == ["INFO"]

    owner = {"number": "4000", "account": "alice", "default_account": ""}
    assert (await operator.post("/admin/inbound/numbers/owner", owner)).status_code == 303
    owned = await gateway.numbers.get("4000")
    assert (owned.account_id, owned.default_account_id) == (alice.id, None)

    delivery = {
        "number": "4000",
        "webhook_url": "https://hooks.example/mo",
        "webhook_shape": "smspartner",
        "price": "0.02",
    }
    assert (await operator.post("/admin/inbound/numbers/delivery", delivery)).status_code == 303
    changed = await gateway.numbers.get("4000")
    assert (changed.webhook_url, changed.webhook_shape, changed.price) == (
        "https://hooks.example/mo",
        "smspartner",
        20_000,
    )

    page = await operator.get("/admin/inbound")
    assert "<td>4000</td>" in page.text and "INFO" in page.text
    assert "https://hooks.example/mo (smspartner)" in page.text

    gone = {"number": "4000", "keyword": "INFO"}
    assert (await operator.post("/admin/inbound/keywords/remove", gone)).status_code == 303
    removed = await operator.post("/admin/inbound/numbers/remove", {"number": "4000"})
    assert removed.status_code == 303
    assert await gateway.numbers.list() == []
    assert [(a, t) for a, t, _ in await audited(gateway)] == [
        ("number.add", "4000"),
        ("keyword.add", "4000 INFO"),
        ("number.owner", "4000"),
        ("number.set", "4000"),
        ("keyword.remove", "4000 INFO"),
        ("number.remove", "4000"),
    ]


async def test_unrouted_mo_are_listed_newest_first(
    gateway: Gateway, operator: Visitor, alice: Account
) -> None:
    await gateway.numbers.add(NUMBER, account=alice)
    await gateway.inbound.receive("simulator", "+393471111111", NUMBER, "for alice", "gsm7", 1)
    await gateway.inbound.receive("simulator", "+393472222222", "5555", "nobody's", "gsm7", 1)
    await gateway.inbound.receive("simulator", "+393473333333", "5555", "again", "gsm7", 1)
    page = await operator.get("/admin/inbound")
    assert page.status_code == 200
    assert "for alice" not in page.text
    assert page.text.index("again") < page.text.index("nobody&#39;s")
    assert "+393472222222" in page.text


@pytest.mark.parametrize(
    ("path", "form", "status", "error"),
    [
        ("numbers", {"number": "12"}, 400, "neither E.164 nor a short code"),
        ("numbers", {"number": "4000", "account": "nobody"}, 404, "nobody"),
        ("numbers", {"number": "4000", "price": "-1"}, 400, "price must be 0 or more"),
        ("numbers", {"number": "4000", "price": "lots"}, 400, "not a decimal amount"),
        ("numbers", {"number": "4000", "webhook_url": "ftp://x"}, 400, "webhook_url"),
        ("numbers", {"number": "4000", "webhook_shape": "fax"}, 400, "webhook_shape"),
        ("numbers", {"number": "3000"}, 409, "3000"),
        ("numbers/owner", {"number": "4000", "account": "alice"}, 404, "no inbound number 4000"),
        ("numbers/owner", {"number": "3000", "account": "nobody"}, 404, "nobody"),
        ("numbers/delivery", {"number": "3000", "price": "-1"}, 400, "price must be 0 or more"),
        ("numbers/remove", {"number": "4000"}, 404, "no inbound number 4000"),
        ("keywords", {"number": "3000", "keyword": "two words", "account": "alice"}, 400, "word"),
        ("keywords", {"number": "3000", "keyword": "INFO", "account": ""}, 404, "no account"),
        ("keywords", {"number": "3000", "keyword": "TAKEN", "account": "alice"}, 409, "TAKEN"),
        ("keywords/remove", {"number": "3000", "keyword": "NONE"}, 404, "has no keyword NONE"),
    ],
)
async def test_bad_input_is_shown_and_changes_nothing(
    gateway: Gateway,
    operator: Visitor,
    alice: Account,
    path: str,
    form: dict[str, str],
    status: int,
    error: str,
) -> None:
    await gateway.numbers.add("3000", default_account=alice)
    await gateway.numbers.add_keyword("3000", "TAKEN", alice)
    numbers, keywords = await gateway.numbers.list(), await gateway.numbers.keywords()
    refused = await operator.post(f"/admin/inbound/{path}", form)
    assert refused.status_code == status
    assert error in refused.text and 'role="alert"' in refused.text
    assert await gateway.numbers.list() == numbers
    assert await gateway.numbers.keywords() == keywords
    assert await audited(gateway) == []


async def test_unrouted_mo_come_in_pages_of_50(gateway: Gateway, operator: Visitor) -> None:
    for n in range(52):
        await gateway.inbound.receive("simulator", "+393471111111", "5555", f"mo {n}", "gsm7", 1)
    first = await operator.get("/admin/inbound")
    assert first.text.count("<td>+393471111111</td>") == 50
    assert "mo 51<" in first.text and "mo 1<" not in first.text
    cursor = first.text.split('href="/admin/inbound?cursor=')[1].split('"')[0]
    older = await operator.get("/admin/inbound", cursor=cursor)
    assert older.text.count("<td>+393471111111</td>") == 2
    assert "mo 1<" in older.text and "mo 0<" in older.text and 'rel="next"' not in older.text
    assert 'href="/admin/inbound">Newest' in older.text
