"""The ledger page and its CSV export on the real gateway: every entry once, newest
first, amounts that add up to the balance, and no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io
import re

import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from smsgate.core.money import parse_amount
from smsgate.services.submit import SubmitCommand
from tests.integration.web.conftest import Visitor

pytestmark = pytest.mark.timeout(60)


async def test_the_csv_export_holds_every_entry_and_adds_up(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    for _ in range(3):
        await gateway.submit.submit(alice, SubmitCommand(("+393331234567",), "Shop", "hi"))
    await gateway.accounts.topup(alice, 1_000_000, note="=HYPERLINK(1)")
    await visitor.log_in()
    response = await visitor.get("/portal/ledger.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="ledger-alice.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["kind"] for r in rows] == ["topup", "charge", "charge", "charge", "topup"]
    assert rows[0]["reference"] == "'=HYPERLINK(1)"
    assert sum(parse_amount(r["amount"]) for r in rows) == 10_850_000
    assert rows[0]["balance_after"] == "10.85" and rows[0]["currency"] == "EUR"
    assert rows[1]["amount"] == "-0.05"


async def test_the_ledger_pages_and_the_export_see_only_their_account(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    for n in range(55):
        await gateway.accounts.topup(alice, 1_000, note=f"t{n}")
    bob = await gateway.accounts.create("bob", credit=5_000_000)
    await gateway.accounts.topup(bob.account, 1, note="bob's")
    await visitor.log_in()
    first = await visitor.get("/portal/ledger")
    assert first.status_code == 200
    assert re.search(r'id="balance">10.055 EUR<', first.text)
    older = re.search(r'href="/portal/ledger\?cursor=(\d+)" rel="next"', first.text)
    assert older is not None and first.text.count("<td>topup</td>") == 50
    second = await visitor.get("/portal/ledger", cursor=older.group(1))
    assert second.text.count("<td>topup</td>") == 6 and 'rel="next"' not in second.text
    export = await visitor.get("/portal/ledger.csv")
    assert len(list(csv.DictReader(io.StringIO(export.text)))) == 56
    assert "bob's" not in export.text and "bob's" not in first.text + second.text
    bad = await visitor.get("/portal/ledger", cursor="1 OR 1")
    assert bad.status_code == 400


async def test_the_ledger_needs_a_login(visitor: Visitor) -> None:
    for path in ("/portal/ledger", "/portal/ledger.csv"):
        response = await visitor.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/portal/login"
