"""The operator console in a real browser against a real gateway (`smsgate run`, its
HTTP worker a process of its own) and `smsgate simulator` on 127.0.0.1: an admin adds a
connector and a route and sees the bind come up, then a message go through it; bad
input is shown beside the form; the pages fit a phone's width."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.gateway import GatewayProcess, free_port, part_connectors, simulated_operator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
PASSWORD = "operator secret 1"


@pytest.fixture(scope="module")
def smsc_port() -> Iterator[int]:
    port = free_port()
    with simulated_operator(port):
        yield port


@pytest.fixture
def admin(gateway: GatewayProcess) -> str:
    gateway.cli("admin", "create", "root", "--password", PASSWORD)
    return "root"


def log_in_as_admin(page: Page, name: str) -> None:
    """With the keyboard only."""
    page.goto("/admin")
    page.wait_for_url("**/admin/login")
    page.get_by_label("Admin name").focus()
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin")


def test_an_admin_adds_a_connector_and_a_route_and_sees_the_bind_come_up(
    page: Page, gateway: GatewayProcess, smsc_port: int, admin: str, shots: Path
) -> None:
    log_in_as_admin(page, admin)
    expect(page.locator("#health-nodes")).to_have_text("1")

    page.get_by_role("link", name="Connectors").click()
    page.get_by_label("Name").fill("operator1")
    page.get_by_label("SMSC host").fill("127.0.0.1")
    page.get_by_label("SMSC port").fill(str(smsc_port))
    page.get_by_label("System id").fill("gw")
    page.get_by_label("Bind password").fill("wrong")
    page.get_by_label("Window").fill("abc")
    page.get_by_role("button", name="Add the connector").click()
    expect(page.locator("#form-error")).to_have_text("window must be a whole number, not 'abc'")
    expect(page.get_by_label("SMSC port")).to_have_value(str(smsc_port))  # kept

    page.get_by_label("Window").fill("20")
    page.get_by_label("Bind password").fill("pw")
    page.get_by_label("Operator's message ids").select_option("dec")
    page.get_by_role("button", name="Add the connector").click()
    page.wait_for_url("**/admin/connectors")
    row = page.locator("#state-operator1")
    # the live state refreshes itself every 2 s until the core's connector has bound
    expect(row.locator("td.binds")).to_have_text("1/1 up", timeout=30_000)
    expect(row.locator("td").nth(2)).to_have_text("0/20")

    page.get_by_role("link", name="Routes").click()
    page.get_by_label("Destination prefix").fill("+39")
    page.get_by_label("Connector").select_option("operator1")
    page.get_by_role("button", name="Add the route").click()
    page.wait_for_url("**/admin/routes")
    expect(page.locator("tbody tr").first).to_contain_text("operator1")
    added = time.time()

    # a state published after the route was added: the core's router has the route
    page.get_by_role("link", name="Connectors").click()
    stamp = page.locator("#state-time")
    deadline = time.monotonic() + 30
    while float(stamp.get_attribute("data-at") or 0) <= added:
        assert time.monotonic() < deadline, "no state published since the route was added"
        page.wait_for_timeout(200)  # the fragment reloads itself every 2 s

    assert gateway.demo_key is not None
    with gateway.client(gateway.demo_key) as client:
        sent = client.post(
            "/api/v1/messages", json={"to": "+393331234567", "from": "smsgate", "text": "hi"}
        )
        assert sent.status_code < 300, sent.text
        message_id = sent.json()["messages"][0]["id"]
        gateway.wait_for(client, message_id, {"delivered"}, timeout=30)
    assert [c for c, _ in part_connectors(gateway, message_id)] == ["operator1"]

    page.reload()
    expect(row.locator("td.binds")).to_have_text("1/1 up")
    page.screenshot(path=shots / "admin-connectors.png", full_page=True)

    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("tbody")).to_contain_text("connector.add")
    expect(page.locator("tbody")).to_contain_text("route.add")

    page.get_by_role("link", name="Health").click()
    expect(page.locator("#health-nodes")).to_have_text("1")
    page.set_viewport_size({"width": 375, "height": 800})
    for path in ("/admin/connectors", "/admin/routes", "/admin/inbound", "/admin/health"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} scrolls sideways on a phone ({width}px)"
