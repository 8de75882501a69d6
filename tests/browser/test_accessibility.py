"""The portal on a phone-sized window (375x667) with the keyboard only: every page fits
without sideways scroll and names each of its fields; logging in and sending a message
take nothing but Tab, typing and Enter."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.e2e.gateway import GatewayProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

PHONE: ViewportSize = {"width": 375, "height": 667}
# The fields of the page that no label, aria-label or aria-labelledby names.
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(f => f.type !== 'hidden')
  .filter(f => !(f.labels && [...f.labels].some(l => l.textContent.trim()))
    && !(f.getAttribute('aria-label') || '').trim()
    && !(f.getAttribute('aria-labelledby') || '').split(/\\s+/).some(
      id => id && document.getElementById(id)?.textContent.trim()))
  .map(f => f.outerHTML)"""
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
FOCUSED = "() => { const e = document.activeElement; return [e.id, e.textContent.trim()] }"
MAX_TABS = 40


def tab_to(page: Page, id_or_text: str) -> None:
    """Press Tab until the element with this id, or this text, has the focus."""
    for _ in range(MAX_TABS):
        if id_or_text in page.evaluate(FOCUSED):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{MAX_TABS} presses of Tab did not reach {id_or_text!r}")


def keyboard_log_in(page: Page, gateway: GatewayProcess) -> None:
    assert gateway.demo_password is not None
    page.goto("/")
    tab_to(page, "name")
    page.keyboard.type("demo")
    tab_to(page, "password")
    page.keyboard.type(gateway.demo_password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/portal")


def check(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, (path, response and response.status)
    assert page.evaluate(OVERFLOW) <= 0, f"{path} scrolls sideways"
    assert page.evaluate(UNLABELLED) == [], f"{path} has fields without a label"


def test_every_page_fits_a_phone_and_names_its_fields(page: Page, gateway: GatewayProcess) -> None:
    with gateway.client(gateway.demo_key or "") as api:
        body = {"to": ["+393331234567", "+393331234568"], "from": "smsgate", "text": "c" * 300}
        sent = api.post("/api/v1/messages", json=body)
        assert sent.status_code == 202, sent.text
    message_id, batch_id = sent.json()["messages"][0]["id"], sent.json()["batch_id"]
    page.set_viewport_size(PHONE)
    check(page, "/portal/login")
    keyboard_log_in(page, gateway)
    for path in (
        "/portal",
        "/portal/send",
        "/portal/messages",
        "/portal/messages?status=queued&since=2000-01-01&sender=smsgate",
        f"/portal/messages/{message_id}",
        f"/portal/batches/{batch_id}",
        "/portal/ledger",
    ):
        check(page, path)


def test_log_in_and_send_with_the_keyboard_only(page: Page, gateway: GatewayProcess) -> None:
    page.set_viewport_size(PHONE)
    keyboard_log_in(page, gateway)
    tab_to(page, "Send")
    page.keyboard.press("Enter")
    page.wait_for_url("**/portal/send")
    tab_to(page, "to")
    page.keyboard.type("+393331234569")
    tab_to(page, "sender")
    page.keyboard.type("smsgate")
    tab_to(page, "text")
    page.keyboard.type("sent with the keyboard")
    expect(page.locator("#count-characters")).to_have_text("22")
    tab_to(page, "scheduled_at")
    tab_to(page, "Send")  # the form's button, after the field
    page.keyboard.press("Enter")
    page.wait_for_url("**/portal/batches/*")
    expect(page.locator("td.status")).to_have_text("delivered", timeout=20_000)
    assert page.evaluate(OVERFLOW) <= 0
