"""The SMS Partner dialect over the real composition root and a real SQLite store.

Golden files in tests/golden/smspartner/ hold request/response pairs, one per documented
answer; every refused, read-only or sandbox request must leave messages, ledger,
balances, account states and STOP lists exactly as they were.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import httpx
import pytest

from smsgate.api.compat.smspartner.render import to_xml
from smsgate.core.accounts import AccountStatus
from smsgate.core.messages import Status
from smsgate.services.submit import SubmitCommand
from tests.integration.compat.smspartner_harness import (
    ALICE_CREDIT,
    BOB_CREDIT,
    PRICE,
    Partner,
    normalised,
    normalised_xml,
    partner_gateway,
)

GOLDEN = Path(__file__).parents[2] / "golden" / "smspartner"
# Requests of these paths change state when they succeed (outside sandbox mode).
WRITES = frozenset(
    {
        "/v1/send",
        "/v1/subaccount/create",
        "/v1/subaccount/remove",
        "/v1/subaccount/credit/add",
        "/v1/subaccount/credit/sms",
        "/v1/subaccount/credit/remove",
        "/v1/stop-sms/add",
        "/v1/stop-sms/delete",
        "/v1/message-cancel",
    }
)


@pytest.fixture
async def partner(tmp_path: Path) -> AsyncIterator[Partner]:
    async with partner_gateway(tmp_path) as (_, ready):
        assert ready is not None
        yield ready


def _fill(value: Any, keys: dict[str, str]) -> Any:
    if isinstance(value, str):
        return keys.get(value, value)
    if isinstance(value, dict):
        return {k: _fill(v, keys) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, keys) for v in value]
    return value


async def exchange(partner: Partner, request: dict[str, Any]) -> httpx.Response:
    """Send a golden request the way the documented clients do.

    json: a JSON body with its Content-Type; content: a JSON body with none (Python's
    `requests.post(data=json.dumps(...))`); form: a form body; raw: bytes as written.
    """
    keys = {"{key}": partner.key, "{bad}": "sg_not-a-key", "{eve}": partner.eve_key}
    request = _fill(request, keys)
    options: dict[str, Any] = {"params": request.get("query")}
    if "json" in request:
        options["json"] = request["json"]
    elif "content" in request:
        options["content"] = json.dumps(request["content"]).encode()
    elif "form" in request:
        options["data"] = request["form"]
    elif "raw" in request:
        options["content"] = request["raw"].encode()
        options["headers"] = {"Content-Type": "application/json"}
    return await partner.http.request(request["method"], request["path"], **options)


def _golden_cases() -> list[Path]:
    return sorted(GOLDEN.glob("*.json"))


@pytest.mark.parametrize("case", _golden_cases(), ids=lambda p: p.stem)
async def test_golden_exchange(partner: Partner, case: Path) -> None:
    golden = json.loads(case.read_text())
    request, expected = golden["request"], golden["response"]
    before = await partner.snapshot()
    response = await exchange(partner, request)
    if "xml" in expected:
        assert response.headers["content-type"] == "application/xml"
        assert (response.status_code, normalised_xml(response.text)) == (
            expected["status"],
            expected["xml"],
        )
        succeeded = "<entry>true</entry>" in response.text.split("\n")[2]
    else:
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert (response.status_code, normalised(body)) == (expected["status"], expected["body"])
        succeeded = body["success"] is True
    sandbox = (request.get("json") or {}).get("sandbox")
    if not succeeded or request["path"] not in WRITES or sandbox:
        assert await partner.snapshot() == before


def test_every_documented_code_has_a_golden_case() -> None:
    """The codes of the seed pages and the send errors page, each produced by a request."""
    codes: dict[str, set[int | None]] = {}
    for path in _golden_cases():
        golden = json.loads(path.read_text())
        response = golden["response"]
        code = response["body"]["code"] if "body" in response else None
        codes.setdefault(golden["request"]["path"], set()).add(code)
    assert {1, 2, 4, 5, 6, 7, 8, 10, 200} | {3} <= codes["/v1/subaccount/credit/add"] | codes[
        "/v1/subaccount/credit/remove"
    ]
    assert {1, 3, 4, 10} <= codes["/v1/bulk-status"]
    assert {1, 2, 9, 10, 11, 13, 43, 44, 45, 46, 47, 48, 49, 50, 52, 90, 200} <= codes["/v1/send"]
    assert {3, 4, 5, 6, 7, 8, 9, 200} <= codes["/v1/subaccount/create"]


async def _send(partner: Partner, **fields: Any) -> dict[str, Any]:
    response = await partner.http.post("/v1/send", json={"apiKey": partner.key, **fields})
    body: dict[str, Any] = response.json()
    return body


async def test_send_stores_charges_and_reports_by_message_id(partner: Partner) -> None:
    body = await _send(
        partner, phoneNumbers="0612345678,0698765432", message="Hi :br:all", tag="promo"
    )
    assert body["success"] is True and body["nb_sms"] == 2
    stored = await partner.messages()
    assert {m.batch_id for m in stored} == {body["message_id"]}
    assert {m.tag for m in stored} == {"promo"} and stored[0].text == "Hi \nall"
    assert await partner.balance() == ALICE_CREDIT - BOB_CREDIT - 2 * PRICE

    status = await partner.http.get(
        "/v1/bulk-status", params={"apiKey": partner.key, "messageId": body["message_id"]}
    )
    listed = status.json()["StatutResponse_List"]
    assert [(s["phoneNumber"], s["status"], s["stopSMS"]) for s in listed] == [
        ("+33612345678", "Waiting", False),
        ("+33698765432", "Waiting", False),
    ]
    one = await partner.http.get(
        "/v1/message-status",
        params={
            "apiKey": partner.key,
            "messageId": body["message_id"],
            "phoneNumber": "0698765432",
        },
    )
    assert (one.json()["number"], one.json()["statut"], one.json()["cost"]) == (
        "+33698765432",
        "Waiting",
        0.05,
    )
    tagged = await partner.http.get(
        "/v1/bulk-status-by-tag", params={"apiKey": partner.key, "tag": "promo"}
    )
    assert tagged.json()["total"] == 2


async def test_status_words_follow_the_message(partner: Partner) -> None:
    body = await _send(partner, phoneNumbers="0612345678", message="x")
    [message] = await partner.messages()
    store = partner.gateway.store
    # A cancelled (final, not delivered) message reads "Not delivered".
    scheduled = await _send(
        partner,
        phoneNumbers="0698765432",
        message="later",
        scheduledDeliveryDate=_in_a_month(),
        time="9",
        minute="30",
    )
    [later] = [m for m in await partner.messages() if m.batch_id == scheduled["message_id"]]
    await partner.gateway.messages.cancel(partner.alice, later.id)
    items = [
        {"phoneNumber": "0612345678", "messageId": body["message_id"]},
        {"phoneNumber": "0698765432", "messageId": scheduled["message_id"]},
        {"phoneNumber": "not a number", "messageId": body["message_id"]},
        {"phoneNumber": "0612345678", "messageId": "300"},
    ]
    response = await partner.http.post(
        "/v1/multi-status", json={"apiKey": partner.key, "SMSStatus_List": items}
    )
    words = [i["status"] for i in response.json()["StatutResponse_List"]]
    assert words == ["Waiting", "Not delivered", "Numéro introuvable", "Numéro introuvable"]
    assert message.status is Status.QUEUED and await store.message(message.id) is not None


async def test_send_list_sends_each_text_and_sandbox_stores_nothing(partner: Partner) -> None:
    items = [
        {"phoneNumber": "0612345678", "message": "Hello Ann"},
        {"phoneNumber": "0698765432", "message": "Hello Bob"},
    ]
    before = await partner.snapshot()
    dry = await _send(partner, SMSList=items, sandbox="1")
    assert (dry["success"], dry["message_id"], dry["nbSMS"]) == (True, None, 2)
    assert await partner.snapshot() == before
    sent = await _send(partner, SMSList=items)
    results = sent["SMSResponse_List"]
    assert [r["success"] for r in results] == [True, True]
    stored = {m.to: m for m in await partner.messages()}
    assert stored["+33612345678"].text == "Hello Ann" and stored["+33698765432"].text == "Hello Bob"
    assert sent["message_id"] == results[0]["messageId"] == stored["+33612345678"].batch_id


async def test_url_response_is_kept_on_every_message_of_a_send(partner: Partner) -> None:
    items = [
        {"phoneNumber": "0612345678", "message": "A"},
        {"phoneNumber": "0698765432", "message": "B"},
    ]
    url = "https://client.example/mo?id=1"
    await _send(partner, phoneNumbers="0611111111", message="Hi", urlResponse=url)
    await _send(partner, SMSList=items, urlResponse=url)
    await _send(partner, phoneNumbers="0622222222", message="no replies wanted")
    stored = {m.to: m.reply_url for m in await partner.messages()}
    assert stored == {
        "+33611111111": url,
        "+33612345678": url,
        "+33698765432": url,
        "+33622222222": None,
    }


@pytest.mark.parametrize("bad", ["ftp://client.example/mo", "not a url", "http://", "x" * 3000])
async def test_a_bad_url_response_is_code_9_and_changes_nothing(partner: Partner, bad: str) -> None:
    before = await partner.snapshot()
    body = await _send(partner, phoneNumbers="0612345678", message="Hi", urlResponse=bad)
    assert (body["success"], body["code"]) == (False, 9)
    assert [e["elementId"] for e in body["errors"]] == ["children[urlResponse].data"]
    assert await partner.snapshot() == before


async def test_stop_list_blocks_sends_until_removed(partner: Partner) -> None:
    added = await partner.http.post(
        "/v1/stop-sms/add", json={"apiKey": partner.key, "phoneNumber": "+33612345678"}
    )
    assert added.json() == {"success": True, "code": 200, "stopId": 33612345678}
    listed = await partner.http.get("/v1/stop-sms/list", params={"apiKey": partner.key})
    assert [d["phoneNumber"] for d in listed.json()["data"]] == ["+33612345678"]

    before = await partner.snapshot()
    refused = await _send(partner, phoneNumbers="0698765432,06 12 34 56 78", message="x")
    assert (refused["success"], refused["code"]) == (False, 14)
    assert await partner.snapshot() == before

    # Another account's list does not apply to Alice's sends, nor hers to Eve's.
    eve = await partner.http.post(
        "/v1/send", json={"apiKey": partner.eve_key, "phoneNumbers": "0612345678", "message": "x"}
    )
    assert eve.json()["success"] is True

    removed = await partner.http.get(
        "/v1/stop-sms/delete", params={"apiKey": partner.key, "id": "33612345678"}
    )
    assert removed.json() == {"success": True, "code": 200}
    assert (await _send(partner, phoneNumbers="0612345678", message="x"))["success"] is True


async def test_cancel_codes_follow_the_scheduled_send(partner: Partner) -> None:
    far = await _send(
        partner,
        phoneNumbers="0612345678",
        message="x",
        scheduledDeliveryDate=_in_a_month(),
        time="10",
        minute="5",
    )
    params = {"apiKey": partner.key, "messageId": far["message_id"]}
    cancelled = await partner.http.get("/v1/message-cancel", params=params)
    assert cancelled.json()["code"] == 200
    assert await partner.balance() == ALICE_CREDIT - BOB_CREDIT

    before = await partner.snapshot()
    again = await partner.http.get("/v1/message-cancel", params=params)
    assert again.json()["code"] == 5
    now = await _send(partner, phoneNumbers="0612345678", message="x")
    before = await partner.snapshot()
    sent = await partner.http.get(
        "/v1/message-cancel", params={"apiKey": partner.key, "messageId": now["message_id"]}
    )
    assert sent.json()["code"] == 7
    assert await partner.snapshot() == before


async def test_cancel_refuses_a_send_due_within_five_minutes(partner: Partner) -> None:
    soon = await partner.gateway.submit.submit(
        partner.alice,
        SubmitCommand(
            to=("+33612345678",),
            sender="Shop",
            text="x",
            scheduled_at=partner.gateway.clock.now() + 120,
        ),
    )
    before = await partner.snapshot()
    response = await partner.http.get(
        "/v1/message-cancel", params={"apiKey": partner.key, "messageId": soon.batch_id}
    )
    assert response.json()["code"] == 6
    assert await partner.snapshot() == before


async def test_suspended_account_is_refused_with_code_20(partner: Partner) -> None:
    await partner.gateway.accounts.set_status(partner.alice, AccountStatus.SUSPENDED)
    partner.gateway.auth.forget()
    before = await partner.snapshot()
    body = await _send(partner, phoneNumbers="0612345678", message="x")
    assert (body["success"], body["code"]) == (False, 20)
    assert await partner.snapshot() == before


async def test_subaccount_lifecycle(partner: Partner) -> None:
    created = await partner.http.post(
        "/v1/subaccount/create",
        json={
            "apiKey": partner.key,
            "type": "simple",
            "parameters": {"email": "dan@example.org", "creditToAttribute": "1.5"},
        },
    )
    sub = created.json()["subaccount"]
    assert sub["token"] == "dan"
    assert await partner.balance("dan") == 1_500_000
    # The new key works on the dialect at once.
    me = await partner.http.get("/v1/me", params={"apiKey": sub["apiKey"]})
    assert me.json()["credits"]["balance"] == "1.5"

    removed = await partner.http.request(
        "DELETE", "/v1/subaccount/remove", params={"apiKey": partner.key, "token": "dan"}
    )
    assert removed.json()["success"] is True
    assert (await partner.gateway.accounts.get("dan")).status is AccountStatus.SUSPENDED


async def test_scheduled_time_is_french_local_time(partner: Partner) -> None:
    day = _in_a_month()
    await _send(
        partner,
        phoneNumbers="0612345678",
        message="x",
        scheduledDeliveryDate=day,
        time="10",
        minute="30",
    )
    [message] = await partner.messages()
    paris = datetime.strptime(day, "%d/%m/%Y").replace(
        hour=10, minute=30, tzinfo=ZoneInfo("Europe/Paris")
    )
    assert message.scheduled_at == paris.timestamp()
    assert message.status is Status.SCHEDULED


def _in_a_month() -> str:
    return (datetime.now(UTC) + timedelta(days=30)).strftime("%d/%m/%Y")


def test_xml_strings_are_cdata_even_when_they_contain_its_end() -> None:
    xml = to_xml({"success": False, "code": 9, "message": "a ]]> b", "none": None, "n": [1]})
    root = ElementTree.fromstring(xml)
    assert [(e.text or "").strip() for e in root] == ["false", "9", "a ]]> b", "", ""]
    assert [e.text for e in root[4]] == ["1"]


async def test_cost_resume_adds_up_months(partner: Partner) -> None:
    await _send(partner, phoneNumbers="0612345678,0698765432", message="x")
    before = await partner.snapshot()
    query = {"apiKey": partner.key, "interval": "last_twelve_months"}
    year = (await partner.http.get("/v1/statistics/cost-resume", params=query)).json()
    assert len(year["datas"]) == 12
    this_month = year["datas"][-1]
    now = datetime.now(UTC)
    assert (this_month["m"], this_month["year"], this_month["type"]) == (
        now.month,
        now.year,
        "month",
    )
    assert (this_month["cost"], this_month["nb_send"]) == ("0.1", "2")
    assert {d["nb_send"] for d in year["datas"][:-1]} == {"0"}

    today = now.strftime("%Y-%m-%d")
    custom = {"apiKey": partner.key, "interval": "custom", "from": today, "to": today}
    [one] = (await partner.http.get("/v1/statistics/cost-resume", params=custom)).json()["datas"]
    assert one["nb_send"] == "2"
    last = {"apiKey": partner.key, "interval": "last_month"}
    [previous] = (await partner.http.get("/v1/statistics/cost-resume", params=last)).json()["datas"]
    assert previous["nb_send"] == "0"

    wrong = {"apiKey": partner.key, "interval": "forever"}
    refused = (await partner.http.get("/v1/statistics/cost-resume", params=wrong)).json()
    assert (refused["success"], refused["code"]) == (False, 9)
    assert await partner.snapshot() == before


async def test_an_oversized_body_is_code_90_and_changes_nothing(partner: Partner) -> None:
    before = await partner.snapshot()
    body = json.dumps({"apiKey": partner.key, "phoneNumbers": "0612345678", "message": "x" * 2**20})
    response = await partner.http.post("/v1/send", content=body.encode())
    assert (response.status_code, response.json()["code"]) == (400, 90)
    assert await partner.snapshot() == before
