"""The message list and a message's page on the real gateway: each filter narrows the
list, cursor pages neither skip nor repeat, and another account's message is not found."""

from __future__ import annotations

import re

import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from smsgate.services.submit import SubmitCommand
from tests.integration.web.conftest import Visitor

pytestmark = pytest.mark.timeout(60)

LINK = re.compile(r'href="/portal/messages/([^"?]+)"')
OLDER = re.compile(r'href="/portal/messages\?([^"]+)" rel="next"')


def listed(html: str) -> list[str]:
    return LINK.findall(html)


async def test_each_filter_narrows_the_list(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    send = gateway.submit.submit
    one = await send(alice, SubmitCommand(("+393331111111",), "Shop", "a", reference="r-1"))
    two = await send(alice, SubmitCommand(("+393332222222", "+393333333333"), "Bank", "b"))
    await visitor.log_in()
    everything = listed((await visitor.get("/portal/messages")).text)
    assert len(everything) == 3
    assert everything[0] > everything[-1]  # newest first
    cases = {
        "to": ("333 111 1111", [one.messages[0].id]),
        "sender": ("Bank", sorted((m.id for m in two.messages), reverse=True)),
        "reference": ("r-1", [one.messages[0].id]),
        "batch": (two.batch_id, sorted((m.id for m in two.messages), reverse=True)),
        "status": ("queued", everything),
    }
    for name, (value, expected) in cases.items():
        page = await visitor.get("/portal/messages", **{name: value})
        assert page.status_code == 200
        assert listed(page.text) == expected, name
    nothing = await visitor.get("/portal/messages", status="delivered")
    assert listed(nothing.text) == [] and "No messages." in nothing.text
    today = await visitor.get("/portal/messages", since="2000-01-01", until="2000-01-31")
    assert listed(today.text) == []


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [("since", "yesterday", "since is not a date"), ("status", "lost", "unknown status")],
)
async def test_a_bad_filter_is_explained(
    visitor: Visitor, alice: Account, name: str, value: str, error: str
) -> None:
    await visitor.log_in()
    page = await visitor.get("/portal/messages", **{name: value})
    assert page.status_code == 400
    assert error in page.text


async def test_cursor_pages_neither_skip_nor_repeat(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    to = tuple(f"+3933312{i:05d}" for i in range(60))
    accepted = await gateway.submit.submit(alice, SubmitCommand(to, "Shop", "hi"))
    await visitor.log_in()
    first = await visitor.get("/portal/messages", sender="Shop")
    older = OLDER.search(first.text)
    assert older is not None and "sender=Shop" in older.group(1)
    second = await visitor.get(f"/portal/messages?{older.group(1).replace('&amp;', '&')}")
    assert OLDER.search(second.text) is None
    seen = listed(first.text) + listed(second.text)
    assert (len(listed(first.text)), len(seen)) == (50, 60)
    assert seen == sorted((m.id for m in accepted.messages), reverse=True)


async def test_a_message_page_and_another_account_s_message(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    mine = await gateway.submit.submit(alice, SubmitCommand(("+393331111111",), "Shop", "hey"))
    bob = await gateway.accounts.create("bob", credit=10_000_000, default_country="IT")
    theirs = await gateway.submit.submit(bob.account, SubmitCommand(("+393331111111",), "B", "x"))
    await visitor.log_in()
    page = await visitor.get(f"/portal/messages/{mine.messages[0].id}")
    assert page.status_code == 200
    assert 'id="message-status">queued<' in page.text
    assert "Not handed to an operator yet." in page.text
    for message_id in (theirs.messages[0].id, "no-such-id"):
        response = await visitor.get(f"/portal/messages/{message_id}")
        assert response.status_code == 404
        assert "x" not in re.findall(r"<td>([^<]*)</td>", response.text)
