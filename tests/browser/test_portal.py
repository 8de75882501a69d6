"""The customer portal in a real browser against a real gateway: log in with the
keyboard, a live counter of 2 parts for 161 GSM characters, a send seen delivered, the
ledger exported as CSV and read back, another account's message not found by URL, a
form without its CSRF token refused, a phone-sized window without sideways scroll, and
a reply to an MO from the inbox, the statistics page and a webhook test."""

from __future__ import annotations

import csv
import http.server
import io
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from smsgate.app import DEMO_NUMBER
from tests.browser.conftest import log_in
from tests.e2e.gateway import GatewayProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_send_a_message_see_it_delivered_and_export_the_ledger(
    page: Page, gateway: GatewayProcess, shots: Path
) -> None:
    page.goto("/")
    expect(page).to_have_url(f"{gateway.base}/portal/login")
    page.screenshot(path=shots / "login.png")
    log_in(page, gateway)
    expect(page.locator("#balance")).to_have_text("10.00 EUR")

    page.get_by_role("link", name="Send").click()
    page.get_by_label("Recipients").fill("+393331234567")
    page.get_by_label("Sender").fill("smsgate")
    page.get_by_label("Text").fill("a" * 161)
    expect(page.locator("#count-parts")).to_have_text("2")
    expect(page.locator("#count-characters")).to_have_text("161")
    expect(page.locator("#count-encoding")).to_have_text("GSM 03.38")
    expect(page.locator("#count-cost")).to_have_text("0.10 EUR for 1 recipient")
    page.screenshot(path=shots / "send.png", full_page=True)

    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/portal/batches/*")
    # the progress fragment refreshes itself until every message is final
    expect(page.locator("td.status")).to_have_text("delivered", timeout=20_000)
    expect(page.get_by_text("1 of 1 messages finished")).to_be_visible()
    page.screenshot(path=shots / "batch.png", full_page=True)

    page.get_by_role("link", name="+393331234567").click()
    expect(page.locator("#message-status")).to_have_text("delivered")
    expect(page.locator("td.status-delivered")).to_have_count(3)  # the message's and 2 parts'
    page.screenshot(path=shots / "message.png", full_page=True)

    page.get_by_role("link", name="Messages").click()
    page.get_by_label("Status").select_option("delivered")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    page.screenshot(path=shots / "messages.png", full_page=True)

    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("#today-delivered")).to_have_text("1")
    expect(page.locator("#balance")).to_have_text("9.90 EUR")
    page.screenshot(path=shots / "dashboard.png", full_page=True)

    page.get_by_role("link", name="Ledger").click()
    page.screenshot(path=shots / "ledger.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export the whole ledger as CSV").click()
    saved = download.value.path()
    rows = list(csv.DictReader(io.StringIO(Path(saved).read_text())))
    assert [(r["kind"], r["amount"]) for r in rows] == [("charge", "-0.10"), ("topup", "10.00")]
    assert rows[0]["balance_after"] == "9.90"


def test_another_account_s_message_is_not_found(page: Page, gateway: GatewayProcess) -> None:
    other = gateway.cli("account", "create", "other", "--credit", "1.00", "--country", "IT")
    with gateway.client(other["api_key"]) as api:
        sent = api.post(
            "/api/v1/messages", json={"to": "3331234567", "from": "other", "text": "private"}
        )
        assert sent.status_code == 202, sent.text
        message_id = sent.json()["messages"][0]["id"]
    log_in(page, gateway)
    response = page.goto(f"/portal/messages/{message_id}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text("private")).to_have_count(0)


def test_a_form_without_its_csrf_token_is_refused(page: Page, gateway: GatewayProcess) -> None:
    log_in(page, gateway)
    before = page.locator("#balance").inner_text()
    page.goto("/portal/send")
    page.get_by_label("Recipients").fill("+393331234567")
    page.get_by_label("Sender").fill("smsgate")
    page.get_by_label("Text").fill("no token")
    page.locator("#send-form input[name=csrf]").evaluate("input => input.remove()")
    with page.expect_response("**/portal/send") as answer:
        page.get_by_role("button", name="Send").click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading", name="Refused")).to_be_visible()
    page.goto("/portal")
    expect(page.locator("#balance")).to_have_text(before)


def test_a_phone_sized_window_needs_no_sideways_scroll(
    page: Page, gateway: GatewayProcess, shots: Path
) -> None:
    with gateway.client(gateway.demo_key or "") as api:
        long = {"to": "+393331234567", "from": "smsgate", "text": "b" * 300}
        sent = api.post("/api/v1/messages", json=long).json()
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, gateway)
    pages = (
        "/portal",
        "/portal/send",
        "/portal/messages",
        "/portal/ledger",
        "/portal/inbox",
        "/portal/statistics",
        "/portal/webhooks",
    )
    for path in (*pages, f"/portal/messages/{sent['messages'][0]['id']}"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (path, width)
    page.goto("/portal")
    page.screenshot(path=shots / "dashboard-phone.png", full_page=True)


class _Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "8")
        self.end_headers()
        self.wfile.write(b"received")

    def log_message(self, format: str, *args: object) -> None:
        return


def test_reply_to_a_message_from_the_inbox(
    page: Page, gateway: GatewayProcess, shots: Path
) -> None:
    subprocess.run(
        [sys.executable, "-m", "smsgate", "simulator", "mo", "--from", "+393331234567",
         "--to", DEMO_NUMBER, "--text", "Is the shop open on Sunday?"],
        env=gateway.env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    log_in(page, gateway)
    page.get_by_role("link", name="Inbox").click()
    expect(page.get_by_text("Is the shop open on Sunday?")).to_be_visible()
    page.screenshot(path=shots / "inbox.png", full_page=True)
    page.get_by_role("link", name="Reply to +393331234567").first.click()
    expect(page.locator("#mo-text")).to_have_text("Is the shop open on Sunday?")
    page.get_by_label("Text").fill("Yes, from 10 to 13.")
    page.screenshot(path=shots / "reply.png", full_page=True)
    page.get_by_role("button", name="Send the reply").click()
    page.wait_for_url("**/portal/batches/*")
    expect(page.locator("td.status")).to_have_text("delivered", timeout=20_000)
    page.get_by_role("link", name="+393331234567").click()
    expect(page.locator("#message-text")).to_have_text("Yes, from 10 to 13.")
    expect(page.get_by_role("cell", name=DEMO_NUMBER, exact=True)).to_be_visible()

    page.get_by_role("link", name="Statistics").click()
    expect(page.locator("tbody tr").first).to_be_visible()
    page.screenshot(path=shots / "statistics.png", full_page=True)

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    serving = threading.Thread(target=receiver.serve_forever, daemon=True)
    serving.start()
    try:
        page.get_by_role("link", name="Webhooks").click()
        url = f"http://127.0.0.1:{receiver.server_address[1]}/mo"
        page.get_by_label("Webhook URL").fill(url)
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#webhooks-saved")).to_be_visible()
        page.get_by_role("button", name="Send a test").click()
        expect(page.locator("#test-status")).to_have_text("200")
        expect(page.locator("#test-body")).to_have_text("received")
        page.screenshot(path=shots / "webhooks.png", full_page=True)
    finally:
        receiver.shutdown()
        receiver.server_close()
