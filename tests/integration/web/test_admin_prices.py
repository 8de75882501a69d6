"""The console's price lists through the real app: the system's and an account's own,
one price set, the CSV export read back, and a CSV upload imported whole or refused whole
at its first bad row; every change audited, every refusal changing nothing."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from smsgate.app import Gateway
from smsgate.core.accounts import Account
from smsgate.web.admin import prices as price_pages
from smsgate.web.portal import MAX_UPLOAD_BYTES
from tests.integration.web.conftest import PRICE, Visitor
from tests.integration.web.test_admin_console import ADMIN_PASSWORD, log_in


@pytest.fixture
async def admin(gateway: Gateway, visitor: Visitor) -> Visitor:
    """The visitor, logged in to the console as `root`."""
    await gateway.admins.create("root", ADMIN_PASSWORD)
    assert await log_in(visitor) == 303
    return visitor


async def audit(gateway: Gateway) -> list[tuple[str, str, str]]:
    return [(e.action, e.target, e.detail) for e in await gateway.admins.audit()]


async def upload(
    admin: Visitor, content: bytes, account: str = "", *, csrf: bool = True
) -> httpx.Response:
    fields = {"account": account, **({"csrf": admin.csrf} if csrf else {})}
    files = {"file": ("prices.csv", content, "text/csv")}
    return await admin.http.post("/admin/prices/import", data=fields, files=files)


async def test_set_a_price_in_the_system_list_and_in_an_account_s_own(
    gateway: Gateway, admin: Visitor, alice: Account
) -> None:
    page = await admin.get("/admin/prices")
    assert page.status_code == 200 and "System price list" in page.text
    assert "<td>*</td>" in page.text and "0.05" in page.text

    done = await admin.post("/admin/prices", {"prefix": "+39", "price": "0.045", "account": ""})
    assert done.status_code == 303 and done.headers["location"] == "/admin/prices"
    assert await gateway.accounts.prices(None) == {"*": PRICE, "39": 45_000}

    await admin.get("/admin/prices", account=str(alice.id))
    done = await admin.post(
        "/admin/prices", {"prefix": "39333", "price": "0,0301", "account": str(alice.id)}
    )
    assert done.headers["location"] == f"/admin/prices?account={alice.id}"
    assert await gateway.accounts.prices(alice) == {"39333": 30_100}
    own = await admin.get("/admin/prices", account=str(alice.id))
    assert (
        "Price list of" in own.text
        and "<td>39333</td>" in own.text
        and "<td>*</td>" not in own.text
    )
    assert await audit(gateway) == [
        ("price.set", "alice", "39333 = 0.0301"),
        ("price.set", "system", "39 = 0.045"),
    ]


@pytest.mark.parametrize(
    ("prefix", "price", "message"),
    [
        ("39a", "0.01", "invalid prefix"),
        ("", "0.01", "invalid prefix"),
        ("39", "-0.01", "price cannot be negative"),
        ("39", "cheap", "not a decimal amount"),
        ("39", "0.0000001", "not a decimal amount"),
    ],
)
async def test_a_bad_price_changes_and_audits_nothing(
    gateway: Gateway, admin: Visitor, prefix: str, price: str, message: str
) -> None:
    await admin.get("/admin/prices")
    refused = await admin.post("/admin/prices", {"prefix": prefix, "price": price})
    assert refused.status_code == 400
    assert 'id="prices-error"' in refused.text and message in refused.text
    assert await gateway.accounts.prices(None) == {"*": PRICE}
    assert await audit(gateway) == []


async def test_export_streams_decimal_prices_and_imports_back(
    gateway: Gateway, admin: Visitor, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(price_pages, "EXPORT_CHUNK", 2)
    await gateway.accounts.import_prices(None, [("39", 45_000), ("4420", 1_234_567)])
    exported = await admin.get("/admin/prices.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="prices-system.csv"' in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows == [["prefix", "price"], ["*", "0.05"], ["39", "0.045"], ["4420", "1.234567"]]

    empty = await admin.get("/admin/prices.csv", account=str(alice.id))
    assert empty.text.splitlines() == ["prefix,price"]

    await admin.get("/admin/prices", account=str(alice.id))
    imported = await upload(admin, exported.content, str(alice.id))
    assert imported.status_code == 303
    assert imported.headers["location"] == f"/admin/prices?account={alice.id}"
    assert await gateway.accounts.prices(alice) == {"*": PRICE, "39": 45_000, "4420": 1_234_567}
    assert await audit(gateway) == [("price.import", "alice", "3 prices")]


async def test_an_import_replaces_its_prefixes_and_keeps_the_others(
    gateway: Gateway, admin: Visitor
) -> None:
    await admin.get("/admin/prices")
    content = "\ufeffprefix,price\r\n39,0.04\r\n\r\n+44, 0.06 \r\n39,0.041\r\n".encode()
    assert (await upload(admin, content)).status_code == 303
    assert await gateway.accounts.prices(None) == {"*": PRICE, "39": 41_000, "44": 60_000}
    assert await audit(gateway) == [("price.import", "system", "3 prices")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"prefix,price\n39,0.04\n44,abc\n", "row 3: not a decimal amount"),
        (b"39,0.04\n44\n", "row 2: expected prefix,price"),
        (b"39,0.04\nabc,0.01\n", "row 2: invalid prefix"),
        (b"39,0.04\n44,-0.01\n", "row 2: a price cannot be negative"),
        (b"39,0.04\n\xff\xfe,1\n", "not UTF-8"),
        (b"39,0.04\n4\x004,1\n", "row 2"),
        (b"prefix,price\n", "holds no prices"),
        (b"", "holds no prices"),
    ],
)
async def test_a_bad_file_is_refused_whole_with_its_row(
    gateway: Gateway, admin: Visitor, content: bytes, message: str
) -> None:
    await admin.get("/admin/prices")
    refused = await upload(admin, content)
    assert refused.status_code == 400
    assert 'id="prices-error"' in refused.text and message in refused.text
    assert await gateway.accounts.prices(None) == {"*": PRICE}
    assert await audit(gateway) == []


async def test_uploads_and_forms_without_their_token_or_type_are_refused(
    gateway: Gateway, admin: Visitor
) -> None:
    await admin.get("/admin/prices")
    assert (await upload(admin, b"39,0.01\n", csrf=False)).status_code == 403
    forged = await admin.post("/admin/prices", {"prefix": "39", "price": "0.01"}, csrf=False)
    assert forged.status_code == 403
    as_form = await admin.post("/admin/prices/import", {"file": "39,0.01"})
    assert as_form.status_code == 415
    limit = MAX_UPLOAD_BYTES
    too_big = await upload(admin, b"39,0.01\n" * (limit // 8 + 1))
    assert too_big.status_code == 413
    assert await gateway.accounts.prices(None) == {"*": PRICE}
    assert await audit(gateway) == []


async def test_an_unknown_or_malformed_account_is_refused(admin: Visitor) -> None:
    assert (await admin.get("/admin/prices", account="999")).status_code == 404
    assert (await admin.get("/admin/prices", account="alice")).status_code == 400
    assert (await admin.get("/admin/prices.csv", account="999")).status_code == 404


async def test_a_customer_opens_none_of_these_pages(visitor: Visitor, alice: Account) -> None:
    await visitor.log_in()
    for path in ("/admin/prices", "/admin/prices.csv"):
        assert (await visitor.get(path)).headers["location"] == "/admin/login"
