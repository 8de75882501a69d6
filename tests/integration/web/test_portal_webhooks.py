"""The webhook page on the real gateway: the default MO webhook saved with the API's
checks, "Send a test" POSTing a signed sample to a real receiver on 127.0.0.1 and showing
its answer, and the account's recent deliveries with their last answers."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import AsyncIterator

import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from smsgate.services.inbound_plan import InboundSettings
from smsgate.webhooks.signing import verify
from tests.integration.web.conftest import Visitor
from tests.integration.webhooks.receiving import LoopbackReceiver, serving

pytestmark = pytest.mark.timeout(60)


class Receiver(LoopbackReceiver):
    """Keeps every POST; /ok answers 202 "thanks", any other path 500 "down"."""

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[tuple[str, dict[str, str], bytes]] = []

    async def answer(
        self, path: str, headers: dict[str, str], body: bytes, writer: asyncio.StreamWriter
    ) -> None:
        self.posts.append((path, headers, body))
        status, text = (b"202 Accepted", b"thanks") if path == "/ok" else (b"500 Oops", b"down")
        writer.write(b"HTTP/1.1 %s\r\nContent-Length: %d\r\n\r\n%s" % (status, len(text), text))


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with serving(Receiver()) as found:
        yield found


def shown(html: str, name: str) -> str:
    found = re.search(rf'id="{name}">([^<]*)<', html)
    assert found, (name, html)
    return found.group(1)


async def save(visitor: Visitor, url: str, shape: str = "native") -> int:
    await visitor.get("/portal/webhooks")
    response = await visitor.post("/portal/webhooks", {"webhook_url": url, "webhook_shape": shape})
    return response.status_code


async def test_the_webhook_is_saved_as_the_api_saves_it(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await visitor.log_in()
    assert await save(visitor, "https://hooks.example/mo", "smspartner") == 303
    settings = await gateway.inbound_settings.get(alice)
    assert (settings.webhook_url, settings.webhook_shape) == (
        "https://hooks.example/mo",
        "smspartner",
    )
    page = await visitor.get("/portal/webhooks", saved="1")
    assert (
        'value="https://hooks.example/mo"' in page.text
        and "<option selected>smspartner<" in page.text
    )
    assert await save(visitor, "") == 303
    assert (await gateway.inbound_settings.get(alice)).webhook_url is None


@pytest.mark.parametrize(
    ("url", "shape", "error"),
    [
        ("ftp://hooks.example/mo", "native", "webhook_url must be an http(s) URL"),
        ("hooks.example", "native", "webhook_url must be an http(s) URL"),
        ("https://hooks.example/" + "a" * 2100, "native", "at most 2048 characters"),
        ("https://hooks.example/mo", "xml", "webhook_shape must be one of"),
    ],
)
async def test_a_refused_webhook_changes_nothing(
    gateway: Gateway, visitor: Visitor, alice: Account, url: str, shape: str, error: str
) -> None:
    await visitor.log_in()
    assert await save(visitor, "https://kept.example/mo") == 303
    await visitor.get("/portal/webhooks")
    response = await visitor.post("/portal/webhooks", {"webhook_url": url, "webhook_shape": shape})
    assert response.status_code == 400
    assert error in shown(response.text, "webhooks-error")
    assert (await gateway.inbound_settings.get(alice)).webhook_url == "https://kept.example/mo"


async def test_send_a_test_posts_a_signed_sample_and_shows_the_answer(
    gateway: Gateway, visitor: Visitor, alice: Account, receiver: Receiver
) -> None:
    await visitor.log_in()
    assert await save(visitor, receiver.url("/ok")) == 303
    page = await visitor.post("/portal/webhooks/test", {})
    assert page.status_code == 200
    assert shown(page.text, "test-status") == "202"
    assert "thanks" not in page.text  # the answer's body is never shown
    assert shown(page.text, "test-time").endswith(" ms")
    [(path, headers, body)] = receiver.posts
    assert path == "/ok" and headers["content-type"] == "application/json"
    secret = gateway.webhooks.secret
    now = int(gateway.clock.now())
    assert verify(secret, body, headers["x-smsgate-signature"], now=now)
    assert not verify("another secret", body, headers["x-smsgate-signature"], now=now)
    sample = json.loads(body)
    assert (sample["event"], sample["from"], sample["text"]) == (
        "message.inbound",
        "+393330000000",
        "smsgate webhook test",
    )
    assert await gateway.store.webhook_deliveries(alice.id, 10) == []  # nothing stored


async def test_send_a_test_shows_an_error_status_and_no_answer(
    gateway: Gateway, visitor: Visitor, alice: Account, receiver: Receiver
) -> None:
    await visitor.log_in()
    assert await save(visitor, receiver.url("/broken")) == 303
    page = await visitor.post("/portal/webhooks/test", {})
    assert shown(page.text, "test-status") == "500" and "down" not in page.text
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    assert await save(visitor, f"http://127.0.0.1:{port}/mo") == 303
    page = await visitor.post("/portal/webhooks/test", {})
    assert page.status_code == 200
    assert f"http://127.0.0.1:{port}" in shown(page.text, "test-error")
    assert 'id="test-status"' not in page.text


async def test_send_a_test_needs_a_saved_url_and_a_csrf_token(
    gateway: Gateway, visitor: Visitor, alice: Account, receiver: Receiver
) -> None:
    await visitor.log_in()
    await visitor.get("/portal/webhooks")
    page = await visitor.post("/portal/webhooks/test", {})
    assert page.status_code == 400
    assert "save one first" in shown(page.text, "webhooks-error")
    assert await save(visitor, receiver.url("/ok")) == 303
    refused = await visitor.post("/portal/webhooks/test", {"csrf": "forged"}, csrf=False)
    assert refused.status_code == 403
    changed = await visitor.post(
        "/portal/webhooks", {"webhook_url": "https://x.example/"}, csrf=False
    )
    assert changed.status_code == 403
    assert receiver.posts == []
    assert (await gateway.inbound_settings.get(alice)).webhook_url == receiver.url("/ok")


async def test_recent_deliveries_show_the_account_s_rows_and_their_answers(
    gateway: Gateway, visitor: Visitor, alice: Account, receiver: Receiver
) -> None:
    bob = (await gateway.accounts.create("bob", credit=1_000_000)).account
    for account, number, url in ((alice, "+393330000001", "/fail"), (bob, "+393330000002", "/bob")):
        await gateway.numbers.add(number, account=account)
        await gateway.inbound_settings.set(InboundSettings(account.id, receiver.url(url)))
        await gateway.inbound.receive("op", "393339999999", number[1:], "hi", "gsm7", 1)
    await visitor.log_in()
    page = await visitor.get("/portal/webhooks")
    assert page.text.count('<a href="/portal/inbox/') == 1 and "/bob" not in page.text
    assert '<td class="status status-pending">pending</td>' in page.text
    client = gateway.mo_webhooks.new_client()
    try:
        assert await gateway.mo_webhooks.send_due(client) == 2
    finally:
        await client.close()
    page = await visitor.get("/portal/webhooks")
    row = re.search(
        r"<tr><td>[^<]*</td>\s*<td><a href=\"/portal/inbox/\d+\">MO</a>.*?</tr>", page.text, re.S
    )
    assert row is not None, page.text
    assert receiver.url("/fail") in row.group(0)
    assert '<td class="num">1</td>' in row.group(0) and "HTTP 500" in row.group(0)
    assert "/bob" not in page.text


async def test_the_account_s_own_numbers_show_their_webhooks(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    bob = (await gateway.accounts.create("bob", credit=1_000_000)).account
    numbers = gateway.numbers
    await numbers.add("+393330000001", account=alice, webhook_url="https://own.example/mo")
    await numbers.add("+393330000002", account=alice)
    await numbers.add("+393330000003", account=bob, webhook_url="https://bob.example/mo")
    shared = await numbers.add("+393330000004", webhook_url="https://shared.example/mo")
    await numbers.add_keyword(shared.number, "ALICE", alice)
    await visitor.log_in()
    page = await visitor.get("/portal/webhooks")
    table = re.search(r'<table id="number-webhooks">.*?</table>', page.text, re.S)
    assert table is not None
    rows = re.findall(
        r"<tr><td>([^<]*)</td><td[^>]*>([^<]*)</td><td>([^<]*)</td></tr>", table.group(0)
    )
    assert rows == [("+393330000001", "https://own.example/mo", "native")]
    assert "bob.example" not in page.text and "shared.example" not in page.text
