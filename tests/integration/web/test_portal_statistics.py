"""The statistics page on the real gateway: the account's messages over a range of days
grouped by day, destination country and status, its CSV export (no cell a spreadsheet
would run), refusals of a bad range, and no other account's messages."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from smsgate.services.statistics import CountryGroup, Totals
from smsgate.services.submit import SubmitCommand
from smsgate.web.statistics import csv_row
from tests.integration.web.conftest import Visitor

pytestmark = pytest.mark.timeout(60)


async def send(gateway: Gateway, alice: Account) -> None:
    italy = SubmitCommand(("+393331234567", "+393337654321"), "Shop", "a" * 161)
    await gateway.submit.submit(alice, italy)
    await gateway.submit.submit(alice, SubmitCommand(("+12025550123",), "Shop", "hi"))
    bob = await gateway.accounts.create("bob", credit=10_000_000, default_country="IT")
    await gateway.submit.submit(bob.account, SubmitCommand(("+33612345678",), "bob", "hi"))


def cells(html: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    assert body is not None
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


async def test_the_report_groups_by_day_country_and_status(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await send(gateway, alice)
    today = datetime.fromtimestamp(gateway.clock.now(), UTC).date().isoformat()
    await visitor.log_in()
    page = await visitor.get("/portal/statistics")
    assert page.status_code == 200
    assert cells(page.text) == [
        [today, "IT", "queued", "2", "0%", "4", "0.20 EUR"],
        [today, "US", "queued", "1", "0%", "1", "0.05 EUR"],
    ]
    assert "3 messages from" in page.text
    by_country = await visitor.get("/portal/statistics", by="country", submitted="1")
    assert cells(by_country.text) == [
        ["IT", "2", "0%", "4", "0.20 EUR"],
        ["US", "1", "0%", "1", "0.05 EUR"],
    ]
    nothing = await visitor.get("/portal/statistics", submitted="1")
    assert cells(nothing.text) == [["3", "0%", "5", "0.25 EUR"]]
    before = await visitor.get("/portal/statistics", since="2020-01-01", until="2020-01-31")
    assert cells(before.text) == [["No messages in these days."]]


async def test_the_csv_export_is_the_report(
    gateway: Gateway, visitor: Visitor, alice: Account
) -> None:
    await send(gateway, alice)
    today = datetime.fromtimestamp(gateway.clock.now(), UTC).date()
    await visitor.log_in()
    page = await visitor.get("/portal/statistics", by=["country", "status"], submitted="1")
    link = re.search(r'id="export" href="([^"]+)"', page.text)
    assert link is not None
    export = await visitor.get(link.group(1).replace("&amp;", "&"))
    assert export.status_code == 200
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    since = today - timedelta(days=29)
    assert export.headers["content-disposition"] == (
        f'attachment; filename="statistics-alice-{since}-{today}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [(r["day"], r["country"], r["status"], r["messages"], r["cost"]) for r in rows] == [
        ("", "IT", "queued", "2", "0.20"),
        ("", "US", "queued", "1", "0.05"),
    ]
    assert rows[0]["delivery_rate"] == "0.0000" and rows[0]["currency"] == "EUR"


def test_no_cell_of_the_export_starts_a_formula() -> None:
    row = csv_row(CountryGroup(None, "=cmd", None, "-EUR", Totals(1, 1, -5)))
    assert row[1] == "'=cmd" and row[7] == "'-0.000005" and row[8] == "'-EUR"


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"since": "2024-02-10", "until": "2024-02-01"}, "the last day is before the first"),
        ({"since": "2020-01-01", "until": "2024-01-01"}, "at most 366 days"),
        ({"since": "yesterday"}, "since is not a date"),
    ],
)
async def test_a_bad_range_is_refused(
    visitor: Visitor, alice: Account, params: dict[str, str], error: str
) -> None:
    await visitor.log_in()
    page = await visitor.get("/portal/statistics", **params)
    assert page.status_code == 400
    assert error in page.text
    export = await visitor.get("/portal/statistics.csv", **params)
    assert export.status_code == 400


async def test_statistics_need_a_login(visitor: Visitor) -> None:
    for path in ("/portal/statistics", "/portal/statistics.csv"):
        response = await visitor.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/portal/login"
