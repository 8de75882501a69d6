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

from smsgate.demo import DEMO_NUMBER
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

    page.get_by_role("link", name="Send", exact=True).click()
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


def test_a_sub_account_and_an_api_key_are_made_and_each_key_is_shown_once(
    page: Page, gateway: GatewayProcess, shots: Path
) -> None:
    log_in(page, gateway)
    page.get_by_role("link", name="Sub-accounts").click()
    page.get_by_label("Name").fill("webshop")
    page.get_by_label("Password").fill("webshop-secret")
    page.get_by_role("button", name="Create the sub-account").click()
    expect(page.get_by_role("heading", name="Sub-account webshop created")).to_be_visible()
    sub_key = page.get_by_label("API key of webshop").input_value()
    assert sub_key.startswith("sg_")
    with gateway.client(sub_key) as api:
        assert api.get("/api/v1/balance").json()["balance"] == "0.00"

    page.get_by_role("link", name="Go to webshop").click()
    page.get_by_label("Amount to move from your balance to webshop").fill("1.25")
    page.get_by_role("button", name="Fund").click()
    expect(page.locator("#child-balance")).to_have_text("1.25 EUR")
    page.get_by_label("Amount to take back from webshop").fill("5")
    page.get_by_role("button", name="Withdraw").click()
    expect(page.locator("#account-error")).to_have_text(
        "webshop holds less than 5.00 EUR: nothing was moved."
    )
    expect(page.locator("#child-balance")).to_have_text("1.25 EUR")
    page.screenshot(path=shots / "subaccount.png", full_page=True)
    page.get_by_role("link", name="All sub-accounts").click()
    expect(page.get_by_role("link", name="webshop")).to_be_visible()
    expect(page.get_by_text(sub_key)).to_have_count(0)
    page.screenshot(path=shots / "subaccounts.png", full_page=True)

    page.get_by_role("link", name="API keys").click()
    page.get_by_role("button", name="Create a new key").click()
    key = page.get_by_label("New API key").input_value()
    with gateway.client(key) as api:
        assert api.get("/api/v1/balance").status_code == 200
    page.screenshot(path=shots / "keys.png", full_page=True)
    page.goto("/portal/keys")
    expect(page.get_by_label("New API key")).to_have_count(0)
    assert key not in page.content() and key[:10] in page.content()
    page.get_by_role("button", name=f"Revoke the key {key[:10]}").click()
    expect(page.get_by_role("button", name=f"Revoke the key {key[:10]}")).to_have_count(0)
    with gateway.client(key) as api:
        assert api.get("/api/v1/balance").status_code == 401

    # numbers no other test of this module sends to: the module shares one gateway
    page.get_by_role("link", name="STOP list").click()
    page.locator("#add-stop").get_by_label("Number").fill("+393339876543")
    page.get_by_role("button", name="Add to the STOP list").click()
    expect(page.locator("#stops td").first).to_have_text("+393339876543")
    csv_file = b"number\n+393339876543\n+393337654321\n+393331111111,note\nnot a number\n"
    page.locator("#file").set_input_files(
        {"name": "stop.csv", "mimeType": "text/csv", "buffer": csv_file}
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-added")).to_have_text("2")
    expect(page.locator("#import-present")).to_have_text("1")
    expect(page.locator("#import-invalid")).to_have_text("1")
    expect(page.locator("#stops tbody tr")).to_have_count(3)
    page.screenshot(path=shots / "stoplist.png", full_page=True)

    page.set_viewport_size({"width": 375, "height": 740})
    for path in ("/portal/accounts", "/portal/keys", "/portal/senders", "/portal/stoplist"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (path, width)


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
        page.screenshot(path=shots / "webhooks.png", full_page=True)
    finally:
        receiver.shutdown()
        receiver.server_close()
