"""The inbox on the real gateway: MO stored through the real inbound path, newest first
in cursor pages, and a reply that is sent and charged as any send, or refused whole."""

from __future__ import annotations

import re

import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from smsgate.services.ports import MessageQuery
from tests.integration.web.conftest import PRICE, Visitor

pytestmark = pytest.mark.timeout(60)

NUMBER = "+393330000001"


async def receive(
    gateway: Gateway, alice: Account, text: str = "hi", source: str = "393339999999"
) -> int:
    if not await gateway.numbers.list(alice):
        await gateway.numbers.add(NUMBER, account=alice)
    return await gateway.inbound.receive("op", source, NUMBER.lstrip("+"), text, "gsm7", 1)


async def test_a_reply_goes_to_the_sender_from_the_number_and_is_charged(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    mo = await receive(gateway, alice, "is the shop open?")
    await visitor.log_in()
    inbox = await visitor.get("/portal/inbox")
    assert inbox.status_code == 200
    assert "is the shop open?" in inbox.text and f'href="/portal/inbox/{mo}"' in inbox.text
    page = await visitor.get(f"/portal/inbox/{mo}")
    assert page.status_code == 200
    assert re.search(r'id="mo-text">is the shop open\?<', page.text)
    response = await visitor.post(f"/portal/inbox/{mo}/reply", {"text": "yes, until 8"})
    assert response.status_code == 303
    batch = response.headers["location"].rsplit("/", 1)[1]
    [sent] = await gateway.store.messages(alice.id, MessageQuery(limit=10))
    assert (sent.to, sent.sender, sent.text) == ("+393339999999", NUMBER, "yes, until 8")
    assert sent.batch_id == batch
    balance, _, _ = await gateway.accounts.balance(alice)
    assert balance == 10_000_000 - PRICE


@pytest.mark.parametrize(
    ("text", "credit", "status", "error"),
    [
        ("", 10_000_000, 400, "Write the reply"),
        ("a" * 2000, 10_000_000, 400, "at most 10 allowed"),
        ("hello", 0, 402, "insufficient credit"),
    ],
)
async def test_a_refused_reply_changes_nothing(
    gateway: Gateway,
    visitor: Visitor,
    alice: Account,
    text: str,
    credit: int,
    status: int,
    error: str,
) -> None:
    mo = await receive(gateway, alice)
    if credit == 0:
        await gateway.accounts.topup(alice, -10_000_000, note="empty")
    await visitor.log_in()
    await visitor.get(f"/portal/inbox/{mo}")
    response = await visitor.post(f"/portal/inbox/{mo}/reply", {"text": text})
    assert response.status_code == status
    found = re.search(r'id="reply-error">([^<]*)<', response.text)
    assert found and error.lower() in found.group(1).lower()
    assert await gateway.store.messages(alice.id, MessageQuery(limit=10)) == []
    balance, _, _ = await gateway.accounts.balance(alice)
    assert balance == credit


async def test_a_reply_needs_its_csrf_token(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    mo = await receive(gateway, alice)
    await visitor.log_in()
    response = await visitor.post(f"/portal/inbox/{mo}/reply", {"text": "hi"}, csrf=False)
    assert response.status_code == 403
    assert await gateway.store.messages(alice.id, MessageQuery(limit=10)) == []


async def test_the_inbox_pages_newest_first_and_shows_only_the_account_s_mo(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    ids = [await receive(gateway, alice, f"mo number {n}.") for n in range(55)]
    bob = await gateway.accounts.create("bob", credit=1_000_000)
    await gateway.numbers.add("+393330000002", account=bob.account)
    bobs = await gateway.inbound.receive("op", "393331111111", "393330000002", "bob's", "gsm7", 1)
    await visitor.log_in()
    first = await visitor.get("/portal/inbox")
    shown = [int(i) for i in re.findall(r'href="/portal/inbox/(\d+)"', first.text)]
    assert shown == ids[::-1][:50]
    older = re.search(r'href="/portal/inbox\?cursor=(\d+)" rel="next"', first.text)
    assert older is not None
    second = await visitor.get("/portal/inbox", cursor=older.group(1))
    shown = [int(i) for i in re.findall(r'href="/portal/inbox/(\d+)"', second.text)]
    assert shown == ids[::-1][50:] and 'rel="next"' not in second.text
    assert "bob's" not in first.text + second.text
    for path in (f"/portal/inbox/{bobs}", "/portal/inbox/nope", "/portal/inbox/99999"):
        assert (await visitor.get(path)).status_code == 404
    await visitor.get(f"/portal/inbox/{ids[0]}")
    reply = await visitor.post(f"/portal/inbox/{bobs}/reply", {"text": "hi"})
    assert reply.status_code == 404
    assert await gateway.store.messages(alice.id, MessageQuery(limit=10)) == []
    bad = await visitor.get("/portal/inbox", cursor="1 OR 1")
    assert bad.status_code == 400


async def test_the_inbox_needs_a_login(visitor: Visitor) -> None:
    response = await visitor.get("/portal/inbox")
    assert response.status_code == 303 and response.headers["location"] == "/portal/login"
