"""A real `smsgate run` and Debian's chromium driven by Playwright (never its own browser
download). Screenshots go to the test's directory, or to docs/portal/ when
SMSGATE_SCREENSHOTS=docs (how the README's pictures are made)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.gateway import GatewayProcess, running_gateway

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "portal"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    with running_gateway(tmp_path_factory.mktemp("gateway")) as process:
        yield process


# Module-scoped, never longer: Playwright's sync API runs an event loop on this thread
# while it is open, and the asyncio tests of the next module need the thread without one.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"the browser tests need Debian's chromium at {CHROMIUM}: apt-get install chromium"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, gateway: GatewayProcess) -> Iterator[Page]:
    context = browser.new_context(
        base_url=gateway.base, viewport={"width": 1100, "height": 900}, accept_downloads=True
    )
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where this test's screenshots go."""
    if os.environ.get("SMSGATE_SCREENSHOTS") == "docs":
        DOCS.mkdir(parents=True, exist_ok=True)
        return DOCS
    return tmp_path


def log_in(page: Page, gateway: GatewayProcess) -> None:
    """Log in as the demo account with the keyboard only."""
    assert gateway.demo_password is not None
    page.goto("/")
    page.get_by_label("Account name").focus()
    page.keyboard.type("demo")
    page.keyboard.press("Tab")
    page.keyboard.type(gateway.demo_password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/portal")
