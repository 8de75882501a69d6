"""The operator console in a real browser against a real gateway: an admin logs in with
the keyboard, finds an account by part of its name, tops it up and sees the audit entry;
sets and imports prices; and the console's pages fit a phone without sideways scroll."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.gateway import GatewayProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

ADMIN_PASSWORD = "operator secret 1"


@pytest.fixture(scope="module")
def accounts(gateway: GatewayProcess) -> None:
    """An admin, and a reseller with two customers beside the demo account."""
    gateway.cli("admin", "create", "root", "--password", ADMIN_PASSWORD)
    gateway.cli("account", "create", "acme", "--credit", "50.00")
    for name in ("acme-rome", "acme-milan"):
        gateway.cli("account", "create", name, "--parent", "acme", "--credit", "5.00")


def log_in(page: Page) -> None:
    page.goto("/admin")
    page.get_by_label("Admin name").focus()
    page.keyboard.type("root")
    page.keyboard.press("Tab")
    page.keyboard.type(ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin")


def test_find_an_account_top_it_up_and_see_the_audit_entry(
    page: Page, gateway: GatewayProcess, accounts: None, shots: Path
) -> None:
    log_in(page)
    page.get_by_role("link", name="Accounts").click()
    expect(page.locator("tr.sub a.account")).to_have_text(["acme-milan", "acme-rome"])
    page.screenshot(path=shots / "admin-accounts.png", full_page=True)

    page.get_by_label("Find an account").fill("ROME")
    page.keyboard.press("Enter")
    expect(page.locator("a.account")).to_have_text(["acme-rome"])
    page.get_by_role("link", name="acme-rome").click()
    expect(page.locator("#balance")).to_have_text("5.00 EUR")

    page.get_by_label("Amount in EUR").fill("12.345")
    page.get_by_label("Note").fill("wire 7")
    page.get_by_role("button", name="Top up").click()
    expect(page.locator("#balance")).to_have_text("17.345 EUR")
    expect(page.locator("#ledger tbody tr").first).to_contain_text("wire 7")
    page.screenshot(path=shots / "admin-account.png", full_page=True)

    page.get_by_role("link", name="Audit log").click()
    first = page.locator("tbody tr").first
    expect(first).to_contain_text("account.topup")
    expect(first).to_contain_text("acme-rome")
    expect(first).to_contain_text("+12.345 EUR: wire 7")
    page.screenshot(path=shots / "admin-audit.png", full_page=True)


def test_set_and_import_prices(
    page: Page, gateway: GatewayProcess, accounts: None, shots: Path, tmp_path: Path
) -> None:
    log_in(page)
    page.get_by_role("link", name="Prices").click()
    page.get_by_label("Prefix").fill("39")
    page.get_by_label("Price per part").fill("0.045")
    page.get_by_role("button", name="Set").click()
    expect(page.locator("#prices")).to_contain_text("0.045")

    bad = tmp_path / "bad.csv"
    bad.write_text("prefix,price\n44,0.06\n49,lots\n")
    page.get_by_label("CSV file").set_input_files(bad)
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#prices-error")).to_have_text("row 3: not a decimal amount: 'lots'")
    expect(page.locator("#prices")).not_to_contain_text("0.06")

    good = tmp_path / "good.csv"
    good.write_text("prefix,price\n44,0.06\n49,0.07\n")
    page.get_by_label("CSV file").set_input_files(good)
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#prices tbody tr")).to_have_count(4)  # *, 39, 44, 49
    page.screenshot(path=shots / "admin-prices.png", full_page=True)
    listed = gateway.cli("price", "list")
    assert listed["prices"]["44"] == "0.06" and listed["prices"]["49"] == "0.07"


def test_the_console_fits_a_phone(
    page: Page, gateway: GatewayProcess, accounts: None, shots: Path
) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page)
    for path in ("/admin/accounts", "/admin/accounts/1", "/admin/accounts/new", "/admin/prices"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (path, width)
    page.goto("/admin/accounts?q=acme")
    page.screenshot(path=shots / "admin-accounts-phone.png", full_page=True)
