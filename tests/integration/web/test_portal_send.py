"""Sending from the portal on the real gateway: the live counter and quote fragment, a
send through SubmitService to the batch page, and refusals that change nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from smsgate.core.messages import Message, Status
from smsgate.services.ports import MessageQuery
from smsgate.services.submit import SubmitCommand
from tests.integration.web.conftest import Visitor

pytestmark = pytest.mark.timeout(60)


def field(html: str, name: str) -> str:
    found = re.search(rf'id="{name}">([^<]*)<', html)
    assert found, (name, html)
    return found.group(1)


async def stored(gateway: Gateway, account: Account) -> tuple[list[Message], int]:
    found = await gateway.store.messages(account.id, MessageQuery(limit=100))
    balance, _, _ = await gateway.accounts.balance(account)
    return found, balance


async def test_the_counter_and_quote_follow_the_text(visitor: Visitor, alice: Account) -> None:
    await visitor.log_in()
    await visitor.get("/portal/send")
    draft = {"to": "+393331234567, +393337654321", "sender": "", "text": "a" * 161}
    quote = await visitor.post("/portal/send/quote", draft)
    assert quote.status_code == 200
    assert field(quote.text, "count-encoding") == "GSM 03.38"
    assert field(quote.text, "count-characters") == "161"
    assert field(quote.text, "count-units") == "161 (153 a part)"
    assert field(quote.text, "count-parts") == "2"
    assert field(quote.text, "count-cost") == "0.20 EUR for 2 recipients"
    ucs2 = await visitor.post("/portal/send/quote", {**draft, "to": "", "text": "привет"})
    assert field(ucs2.text, "count-encoding") == "UCS2"
    assert field(ucs2.text, "count-parts") == "1"
    assert field(ucs2.text, "count-cost") == "–"
    bad = await visitor.post("/portal/send/quote", {**draft, "to": "12"})
    assert "invalid recipient" in field(bad.text, "quote-error")
    refused = await visitor.post("/portal/send/quote", draft, csrf=False)
    assert refused.status_code == 403


async def test_a_send_is_charged_and_shown_as_a_batch(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.log_in()
    await visitor.get("/portal/send")
    draft = {"to": "+393331234567\n+393337654321;", "sender": "Shop", "text": "hello"}
    response = await visitor.post("/portal/send", draft)
    assert response.status_code == 303
    batch = response.headers["location"].rsplit("/", 1)[1]
    messages, balance = await stored(gateway, alice)
    assert {m.to for m in messages} == {"+393331234567", "+393337654321"}
    assert {m.batch_id for m in messages} == {batch} and balance == 9_900_000
    page = await visitor.get(f"/portal/batches/{batch}")
    assert page.status_code == 200
    assert "0 of 2 messages finished" in page.text
    assert 'hx-trigger="every 1s"' in page.text
    progress = await visitor.get(f"/portal/batches/{batch}/progress")
    assert progress.text.startswith('<div id="progress"')


async def test_a_scheduled_send_waits(gateway: Gateway, visitor: Visitor, alice: Account) -> None:
    await visitor.log_in()
    await visitor.get("/portal/send")
    draft = {"to": "+393331234567", "sender": "Shop", "text": "later"}
    at = datetime.fromtimestamp(gateway.clock.now() // 60 * 60 + 86_400, UTC)
    schedule = at.strftime("%Y-%m-%dT%H:%M")
    response = await visitor.post("/portal/send", {**draft, "scheduled_at": schedule})
    assert response.status_code == 303
    [message], _ = await stored(gateway, alice)
    assert message.status is Status.SCHEDULED
    assert message.scheduled_at == at.timestamp()


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"to": "+393331234567, 12"}, 400, "invalid recipient"),
        ({"sender": "a sender far too long"}, 400, "sender"),
        ({"text": ""}, 400, "text is empty"),
        ({"scheduled_at": "tomorrow"}, 400, "not a date and time"),
        ({"to": "\n".join(f"+3933312{i:05d}" for i in range(201))}, 402, "insufficient credit"),
    ],
)
async def test_a_refused_send_keeps_the_form_and_changes_nothing(
    gateway: Gateway,
    visitor: Visitor,
    alice: Account,
    change: dict[str, str],
    status: int,
    error: str,
) -> None:
    await visitor.log_in()
    await visitor.get("/portal/send")
    draft = {"to": "+393331234567", "sender": "Shop", "text": "hello", **change}
    response = await visitor.post("/portal/send", draft)
    assert response.status_code == status
    assert error in field(response.text, "send-error").lower()
    assert draft["text"] in response.text
    assert await stored(gateway, alice) == ([], 10_000_000)


async def test_a_send_without_its_csrf_token_is_refused(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.log_in()
    draft = {"to": "+393331234567", "sender": "Shop", "text": "hello"}
    for token in ({}, {"csrf": "forged"}):
        response = await visitor.post("/portal/send", {**draft, **token}, csrf=False)
        assert response.status_code == 403
    assert await stored(gateway, alice) == ([], 10_000_000)


async def test_a_form_too_large_or_not_urlencoded_is_refused(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.log_in()
    await visitor.get("/portal/send")
    draft = {"csrf": visitor.csrf, "to": "+393331234567", "sender": "Shop", "text": "hello"}
    large = await visitor.http.post("/portal/send", data={**draft, "text": "a" * 70_000})
    assert large.status_code == 413
    many = await visitor.http.post(
        "/portal/send", data={**draft, **{f"x{n}": "" for n in range(20)}}
    )
    assert many.status_code == 413
    multipart = await visitor.http.post("/portal/send", data=draft, files={"f": b"x"})
    assert multipart.status_code == 415
    as_json = await visitor.http.post("/portal/send", json=draft)
    assert as_json.status_code == 415 and "application/x-www-form-urlencoded" in as_json.text
    assert await stored(gateway, alice) == ([], 10_000_000)


async def test_another_account_s_batch_is_not_found(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    bob = await gateway.accounts.create("bob", credit=10_000_000, default_country="IT")
    accepted = await gateway.submit.submit(
        bob.account, SubmitCommand(("+393331234567",), "bob", "hi")
    )
    await visitor.log_in()
    for path in (f"/portal/batches/{accepted.batch_id}", "/portal/batches/nope/progress"):
        response = await visitor.get(path)
        assert response.status_code == 404
        assert "There is nothing here for this account." in response.text


async def upload(
    visitor: Visitor, content: bytes, *, csrf: str | None = None, **fields: str
) -> httpx.Response:
    await visitor.get("/portal/send")
    data = {"csrf": visitor.csrf if csrf is None else csrf, "sender": "Shop", "text": "hello"}
    return await visitor.http.post(
        "/portal/send/csv",
        data={**data, **fields},
        files={"file": ("list.csv", content, "text/csv")},
    )


def recipients(html: str) -> list[str]:
    found = re.search(r'<textarea id="to" name="to"[^>]*>([^<]*)</textarea>', html)
    assert found, html
    return [line for line in found.group(1).split("\n") if line]


async def test_a_csv_file_fills_the_recipients_and_lists_bad_rows_sending_nothing(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.log_in()
    content = (
        b"name;number;city\r\n"
        b"Ann;+393331234567;Rome\r\n"
        b"Bob;3337654321;Milan\r\n"
        b"Cy;12;Turin\r\n"
        b";;\r\n"
        b"Dee;+39 333 123 4567;Rome\r\n"
        b"Eve;=cmd;x\r\n"
    )
    page = await upload(visitor, content, to="+393330000099")
    assert page.status_code == 200
    assert recipients(page.text) == ["+393330000099", "+393331234567", "+393337654321"]
    assert field(page.text, "csv-read").startswith("2 numbers read from the file (1 repeated")
    bad = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]*)</td>', page.text)
    assert bad == [("4", "12"), ("7", "=cmd")]
    assert 'value="Shop"' in page.text and ">hello</textarea>" in page.text
    assert await stored(gateway, alice) == ([], 10_000_000)
    # the user confirms: the form as it was filled in is sent
    sent = await visitor.post(
        "/portal/send", {"to": "\n".join(recipients(page.text)), "sender": "Shop", "text": "hi"}
    )
    assert sent.status_code == 303
    messages, _ = await stored(gateway, alice)
    assert len(messages) == 3


async def test_a_csv_file_of_one_number_a_row(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.log_in()
    page = await upload(visitor, "\ufeff+393331234567\n3337654321\n\n".encode())
    assert recipients(page.text) == ["+393331234567", "+393337654321"]
    assert 'id="csv-bad"' not in page.text


@pytest.mark.parametrize(
    ("content", "status", "error"),
    [
        (b"", 400, "Choose a CSV file"),
        (b"\xff\xfe+3933", 400, "not UTF-8"),
        ("\n".join(f"+3933312{i:05d}" for i in range(1001)).encode(), 400, "at most 1000 rows"),
        (b"+393331234567\n" * 19_000, 400, "at most 256 KiB"),
    ],
)
async def test_a_refused_csv_file_changes_nothing(
    gateway: Gateway, visitor: Visitor, alice: Account, content: bytes, status: int, error: str
) -> None:
    await visitor.log_in()
    page = await upload(visitor, content)
    assert page.status_code == status
    assert error in field(page.text, "send-error")
    assert await stored(gateway, alice) == ([], 10_000_000)


async def test_a_csv_upload_is_refused_without_its_token_or_as_another_type(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.log_in()
    forged = await upload(visitor, b"+393331234567\n", csrf="forged")
    assert forged.status_code == 403
    huge = await upload(visitor, b"+393331234567\n" * 320_000)
    assert huge.status_code == 413
    plain = await visitor.post("/portal/send/csv", {"to": "+393331234567"})
    assert plain.status_code == 415
    assert await stored(gateway, alice) == ([], 10_000_000)
