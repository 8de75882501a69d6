"""The dashboard on the real gateway: balance, today's messages by outcome and MO, and
the last 30 days drawn as SVG from the statistics service."""

from __future__ import annotations

import re

import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from smsgate.services.submit import SubmitCommand
from tests.integration.web.conftest import Visitor

pytestmark = pytest.mark.timeout(60)


def tile(html: str, name: str) -> str:
    found = re.search(rf'id="{name}">([^<]*)<', html)
    assert found, name
    return found.group(1)


async def test_the_dashboard_shows_balance_today_and_charts(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    command = SubmitCommand(("+393331234567", "+393337654321"), "smsgate", "hello")
    await gateway.submit.submit(alice, command)
    await gateway.numbers.add("+393330000001", account=alice)
    await gateway.inbound.receive("op", "393339999999", "393330000001", "hi", "gsm7", 1)
    await visitor.log_in()
    page = await visitor.get("/portal")
    assert page.status_code == 200
    assert tile(page.text, "balance") == "9.90 EUR"
    assert tile(page.text, "today-sent") == "2"
    assert tile(page.text, "today-delivered") == "0"
    assert tile(page.text, "today-inbound") == "1"
    assert page.text.count('<svg class="chart"') == 3
    assert 'aria-label="Messages per day by status, last 30 days"' in page.text
    assert "waiting 2, not delivered 0" in page.text
    assert "spend 0.10" in page.text


async def test_another_account_s_messages_are_not_counted(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    bob = await gateway.accounts.create("bob", credit=10_000_000, default_country="IT")
    await gateway.submit.submit(bob.account, SubmitCommand(("+393331234567",), "bob", "hi"))
    await visitor.log_in()
    page = await visitor.get("/portal")
    assert tile(page.text, "today-sent") == "0"
    assert tile(page.text, "balance") == "10.00 EUR"


async def test_the_delivery_rate_chart_has_a_bar_per_destination_country(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    italy = SubmitCommand(("+393331234567", "+393337654321"), "smsgate", "hello")
    await gateway.submit.submit(alice, italy)
    later = SubmitCommand(
        ("+393331111111",), "smsgate", "later", scheduled_at=gateway.clock.now() + 3600
    )
    [cancelled] = (await gateway.submit.submit(alice, later)).messages
    await gateway.messages.cancel(alice, cancelled.id)
    await gateway.submit.submit(alice, SubmitCommand(("+12025550123",), "smsgate", "hi"))
    bob = await gateway.accounts.create("bob", credit=10_000_000, default_country="IT")
    await gateway.submit.submit(bob.account, SubmitCommand(("+33612345678",), "bob", "hi"))
    await visitor.log_in()
    page = await visitor.get("/portal")
    assert 'aria-label="Delivery rate by destination country, last 30 days"' in page.text
    assert "<title>IT: delivered 0.0%, waiting 66.7%, not delivered 33.3%</title>" in page.text
    assert "<title>US: delivered 0.0%, waiting 100.0%, not delivered 0.0%</title>" in page.text
    assert "<title>FR:" not in page.text
    rates = re.search(r'<table class="rates" id="rates">.*?</table>', page.text, re.S)
    assert rates is not None
    assert re.findall(r"<tr><td>(\w\w)</td><td class=\"num\">(\d+)</td>", rates.group(0)) == [
        ("IT", "3"),
        ("US", "1"),
    ]


async def test_without_messages_there_is_no_rate_chart(visitor: Visitor, alice: Account) -> None:
    await visitor.log_in()
    page = await visitor.get("/portal")
    assert page.text.count('<svg class="chart"') == 2
    assert "No messages in the last 30 days." in page.text
